"""``make bench-api`` (``python -m bench.api``): its seed, its statement counts and how it turns wrk windows into
figures. The load itself (gunicorn and wrk) runs by hand; what it measures is checked here."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models import Count
from django.test import override_settings
from rest_framework.test import APIClient

from bench.api.__main__ import parse_args
from bench.api.cpu import (
    CpuSnapshot,
    CpuUse,
    MachineTicks,
    ProcStat,
    backend_database,
    ceilings,
    cpu_snapshot,
    cpu_use,
    group_ticks,
    parse_machine_ticks,
    parse_proc_stat,
)
from bench.api.endpoints import ENDPOINTS, Window
from bench.api.report import floor_summary, summarize
from bench.api.seeding import PROMOTION_CODE, Seed, create_body, make_drafts, seed
from bench.api.statements import count_statements
from inventory.models import Warehouse, WarehouseStock
from sales.models import Order, OrderEvent, OrderLineAllocation, OrderStatus
from sales.pricing_models import PromotionCode

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded() -> Seed:
    return seed(read_orders=4)


def _client(state: Seed) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {state.token}")
    return client


def test_the_seeded_drafts_are_orders_of_three_lines_the_api_confirms(seeded: Seed) -> None:
    # given the benchmark's seed (drafts made in bulk, not through the service)
    drafts = make_drafts(seeded, 3)
    orders = list(Order.objects.filter(pk__in=drafts).prefetch_related("lines").order_by("order_number"))
    # then each is a draft of 3 lines on 3 different products at the price list's break for 2 (119.99, not the
    # product's 129.99): each line 239.98; the code's 10 % of 719.94 is 71.99, shared 24.00, 24.00, 23.99, so the
    # lines' taxable amounts are 215.98, 215.98, 215.99 (647.95); taxed at Austin's 2 % and Texas's 6.25 % by
    # hand: each line 17.82, shipping 9.90 -> 0.20 + 0.62 = 0.82; tax 3 x 17.82 + 0.82 = 54.28, total 647.95 +
    # 9.90 + 54.28 = 712.13; numbered from the order sequence
    code = PromotionCode.objects.get(code=PROMOTION_CODE)
    assert len(orders) == 3 and all(o.status == OrderStatus.DRAFT for o in orders)
    for order in orders:
        lines = list(order.lines.all())
        assert len(lines) == 3 and len({line.product_id for line in lines}) == 3
        assert [line.sku for line in lines] == [line.product.sku for line in lines]
        assert (order.subtotal, order.charges_total, order.tax_total, order.total) == (
            Decimal("647.95"), Decimal("9.90"), Decimal("54.28"), Decimal("712.13"))
        assert (order.promotion_code_id, order.promotion_discount_amount) == (code.pk, Decimal("71.99"))
        assert [(line.quantity, line.unit_price, line.list_price, line.price_list_id is not None) for line in lines] \
            == [(2, Decimal("119.99"), Decimal("129.99"), True)] * 3
        assert [(line.order_discount_amount, line.net_amount, line.tax_amount) for line in lines] == [
            (Decimal("24.00"), Decimal("215.98"), Decimal("17.82")), (Decimal("24.00"), Decimal("215.98"),
             Decimal("17.82")), (Decimal("23.99"), Decimal("215.99"), Decimal("17.82"))]
        assert [(c["amount"], c["tax_amount"]) for c in order.charges] == [("9.90", "0.82")]
        assert [(row["name"], row["taxable_amount"], row["tax_amount"]) for row in order.taxes] == [
            ("US local (bench)", "657.85", "13.16"), ("Texas sales tax", "657.85", "41.12")]
    numbers = [int(o.order_number.removeprefix("SO-")) for o in orders]
    assert numbers == list(range(numbers[0], numbers[0] + 3))
    assert OrderEvent.objects.filter(order__in=orders, kind=OrderEvent.Kind.CREATED).count() == 3
    # and the seed's token (role sales) creates the same order through the API, reads and confirms the drafts
    client = _client(seeded)
    created = client.post("/api/v1/sales/orders", create_body(seeded), format="json").json()
    stored = orders[0]
    assert (created["subtotal"], created["tax_total"], created["total"], created["taxes"], created["charges"],
            created["promotion_code"]) == ("647.95", "54.28", "712.13", stored.taxes, stored.charges, PROMOTION_CODE)
    assert len(client.get(f"/api/v1/sales/orders/{seeded.read_ids[0]}").json()["line_items"]) == 3
    response = client.patch(f"/api/v1/sales/orders/{drafts[0]}/status", {"status": "confirmed"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "confirmed"
    # and the confirmation counted a use of the code (no limit: the bench never uses it up)
    code.refresh_from_db()
    assert (code.times_used, code.usage_limit) == (1, None)


def test_the_multi_warehouse_drafts_take_each_line_from_another_warehouse(seeded: Seed) -> None:
    # given drafts on the products stocked in 3 warehouses (each plentiful in one, 1 unit in the other two)
    drafts = make_drafts(seeded, 2, multi_warehouse=True)
    # when the API confirms them
    client = _client(seeded)
    for draft in drafts:
        response = client.patch(f"/api/v1/sales/orders/{draft}/status", {"status": "confirmed"}, format="json")
        assert response.status_code == 200, response.content
    # then each line was allocated whole from its product's home warehouse: the 3 lines from 3 warehouses
    assert Warehouse.objects.count() == 3
    for draft in drafts:
        allocations = list(OrderLineAllocation.objects.filter(line__order_id=draft).order_by("line__position"))
        assert [a.quantity for a in allocations] == [2, 2, 2]
        assert len({a.warehouse_id for a in allocations}) == 3
        assert all(a.line.product_id in seeded.multi_warehouse_product_ids for a in allocations)
    # and every multi-warehouse product has a stock row in each warehouse, the one-warehouse products only one
    assert set(WarehouseStock.objects.filter(product_id__in=seeded.multi_warehouse_product_ids).values_list(
        "product_id", flat=True).annotate(n=Count("id")).values_list("n", flat=True)) == {3}
    assert set(WarehouseStock.objects.filter(product_id__in=seeded.product_ids).values_list(
        "product_id", flat=True).annotate(n=Count("id")).values_list("n", flat=True)) == {1}


@override_settings(ROOT_URLCONF="bench.floor.urls")
def test_statements_are_counted_for_every_kind_of_request(seeded: Seed) -> None:
    # when the benchmark counts the statements of one request of each kind, and times two more of each
    counted = count_statements(seeded, samples=2)
    # then every kind answered (2xx) and was counted, the floors at their minimum
    assert set(counted) == {"read-floor", "get", "list", "write-floor", "create", "confirm", "confirm-3wh"}
    assert counted["read-floor"]["statements"] == 2
    assert counted["write-floor"]["without_transaction_control"] == 2
    for name, figures in counted.items():
        assert figures["statements"] == len(figures["sql"]) >= figures["without_transaction_control"] > 0, name
        assert figures["samples"] == 2 and figures["cpu_ms"] > 0 and figures["wall_ms"] > 0, name
    assert counted["get"]["statements"] > counted["read-floor"]["statements"]
    assert counted["confirm"]["statements"] > counted["write-floor"]["statements"]


def _window(target: str, requests: int, round_number: int = 1, errors: int = 0) -> Window:
    return Window(target=target, round=round_number, seconds=10.0, requests=requests, errors=errors,
                  error_detail={"status": errors}, p50_ms=5.0, p90_ms=8.0, p99_ms=10.0, load_before=(1.0, 1.0, 1.0))


def test_each_endpoint_is_compared_with_the_bare_floor_run_just_before_it() -> None:
    # given interleaved windows: bare floor, get, bare floor, get, ... (the machine busier in the later rounds)
    get = next(e for e in ENDPOINTS if e.name == "get")
    windows = [_window("bare-read", 10_000, 1), _window("get", 7_500, 1),
               _window("bare-read", 8_000, 2), _window("get", 4_000, 2, errors=3),
               _window("bare-read", 4_000, 3), _window("get", 3_600, 3)]
    # when the figures are summarized
    [result] = summarize(windows, [get], {"get": {"statements": 5, "without_transaction_control": 5}})
    # then rates are the medians of the rounds, the ratio the median of each round's ratio to its own floor
    assert (result.per_second, result.floor_per_second) == (400.0, 800.0)
    assert [r["ratio"] for r in result.rounds] == [0.75, 0.5, 0.9]
    assert result.ratio == 0.75 and result.meets_goal and result.errors == 3 and result.statements == 5
    # and a window that does not follow a bare floor window of its kind is refused (the product's floor is not one)
    for before in ("bare-write", "read-floor"):
        with pytest.raises(ValueError, match="bare read floor"):
            summarize([_window(before, 10), _window("get", 5)], [get], {})


def test_the_products_floor_is_measured_against_the_bare_floor_like_an_endpoint() -> None:
    # given the product's read floor right after a bare read floor window
    floor = next(e for e in ENDPOINTS if e.name == "read-floor")
    windows = [_window("bare-read", 10_000), _window("read-floor", 8_500)]
    # when summarized, then its ratio is the pipeline's cost alone against the goal
    [result] = summarize(windows, [floor], {})
    assert (result.ratio, result.goal, result.meets_goal) == (0.85, 0.80, True)
    assert floor_summary(windows, {})["read"]["per_second"] == 1000.0


def test_quick_mode_and_endpoint_choice() -> None:
    args = parse_args(["--quick", "--endpoints", "get,confirm"])
    assert (args.rounds, args.duration, args.warmup, args.cpu_samples) == (1, 3.0, 1.0, 10)
    assert [e.name for e in args.endpoint_list] == ["get", "confirm"]
    with pytest.raises(SystemExit):
        parse_args(["--endpoints", "delete"])


# --- CPU by process group (fake /proc text) ---------------------------------------------------------------


def _stat_line(pid: int, comm: str, ppid: int, utime: int, stime: int, cutime: int = 0, cstime: int = 0) -> str:
    """A /proc/<pid>/stat line as Linux writes it (52 fields); the ones not read here are plausible filler."""
    fields = [str(pid), f"({comm})", "S", str(ppid), str(pid), str(pid), "0", "-1", "4194304", "6432", "0", "0", "0",
              str(utime), str(stime), str(cutime), str(cstime), "20", "0", "1", "0", "3476", "222445568", "7354"]
    return " ".join(fields + ["0"] * (52 - len(fields))) + "\n"


def test_a_proc_stat_line_is_read_even_with_brackets_and_spaces_in_its_name() -> None:
    stat = parse_proc_stat(_stat_line(4242, "gunicorn: worker [synthesq.wsgi] (1)", 4200, 150, 30, 7, 3))
    assert stat == ProcStat(pid=4242, comm="gunicorn: worker [synthesq.wsgi] (1)", ppid=4200, utime=150, stime=30,
                            cutime=7, cstime=3)
    assert (stat.own, stat.reaped) == (180, 10)
    # the postmaster as this machine shows it
    postmaster = parse_proc_stat("2195 (postgres) S 1 2195 2195 0 -1 4194304 6432 595096 0 33 2 13 8992 1688 20 0 1 0 "
                                 "3476 222445568 7354 18446744073709551615 93947472850944 0 0 0 0 0 0 0 0 0 0 0 0 0")
    assert (postmaster.comm, postmaster.ppid, postmaster.own, postmaster.reaped) == ("postgres", 1, 15, 10680)


def test_the_machine_line_splits_into_busy_idle_and_stolen_time() -> None:
    text = "cpu  59787 10 9313 59768 1001 5 1270 74 0 0\ncpu0 27897 0 3627 33328 178 0 540 31 0 0\nintr 834481 0\n"
    assert parse_machine_ticks(text) == MachineTicks(busy=59787 + 10 + 9313 + 5 + 1270, idle=59768 + 1001,
                                                     steal=74, irq=1275, iowait=1001)


@pytest.mark.parametrize(("title", "database"), [
    ("postgres: 15/main: postgres synthesq_bench_cpu 127.0.0.1(45634) idle", "synthesq_bench_cpu"),
    ("postgres: 15/main: postgres test_synthesq_m2 127.0.0.1(45634) idle in transaction", "test_synthesq_m2"),
    ("postgres: app sales [local] SELECT", "sales"),  # no cluster name, a Unix socket
    ("postgres: 15/main: u db ::1(5050) UPDATE", "db"),
    ("postgres: 15/main: checkpointer ", None),
    ("postgres: 15/main: logical replication launcher ", None),
    ("/usr/lib/postgresql/15/bin/postgres\0-D\0/var/lib/postgresql/15/main\0", None),
    ("", None),
])
def test_a_backend_is_told_by_its_database_in_its_title(title: str, database: str | None) -> None:
    assert backend_database(title) == database


def _processes(*, worker: int, backend: int, foreign: int, postmaster_reaped: int, bench_reaped: int,
               other: int, ended: bool = False, new_backend: int | None = None) -> list[ProcStat]:
    """A machine: the bench (100) started gunicorn (200: workers 201, 202) and reaps wrk; PostgreSQL's postmaster
    (300, a child of init) with a checkpointer, a backend of the bench's database (302) and one of another
    database (303); a kernel thread; another program (500)."""
    processes = [
        ProcStat(1, "init", 0, 5, 5, 40, 0),
        ProcStat(2, "kthreadd", 0, 0, 1, 0, 0),
        ProcStat(20, "ksoftirqd/0", 2, 0, 60, 0, 0),
        ProcStat(100, "python", 1, 70, 5, bench_reaped, 0),
        ProcStat(200, "python", 100, 3, 1, 2, 0),
        ProcStat(201, "python", 200, worker, 10, 0, 0),
        ProcStat(202, "python", 200, worker, 10, 0, 0),
        ProcStat(300, "postgres", 1, 1, 1, postmaster_reaped, 0),
        ProcStat(301, "postgres", 300, 2, 2, 0, 0),
        ProcStat(303, "postgres", 300, foreign, 0, 0, 0, database="test_other"),
        ProcStat(500, "pytest", 1, other, 0, 0, 0),
    ]
    if not ended:
        processes.append(ProcStat(302, "postgres", 300, backend, 0, 0, 0, database="bench"))
    if new_backend is not None:
        processes.append(ProcStat(304, "postgres", 300, new_backend, 0, 0, 0, database="bench"))
    return processes


def test_each_group_counts_its_processes_own_and_reaped_time() -> None:
    processes = _processes(worker=100, backend=50, foreign=30, postmaster_reaped=1000, bench_reaped=8, other=400)
    ticks = group_ticks(processes, gunicorn_pid=200, bench_pid=100, database="bench")
    assert ticks == {
        "gunicorn": 4 + 2 + 2 * 110,  # the master (own and reaped) and its workers
        "postgres": 2 + 4 + 50,  # the postmaster's own time, the checkpointer, the bench database's backend
        "wrk": 8,  # the bench's reaped children
        "other": 10 + 40 + 75 + 30 + 1000 + 400,  # init, the bench itself, the foreign backend, ended ones, pytest
        "postgres_all": 2 + 1000 + 4 + 50 + 30,
    }
    # without a database named, every postgres process is PostgreSQL's (the brief's first definition)
    assert group_ticks(processes, gunicorn_pid=200, bench_pid=100)["postgres"] == ticks["postgres_all"]


def _snapshot(at: float, busy: int, idle: int, processes: list[ProcStat]) -> CpuSnapshot:
    return CpuSnapshot(at=at, machine=MachineTicks(busy=busy, idle=idle, steal=0, irq=0, iowait=idle // 10),
                       groups=group_ticks(processes, gunicorn_pid=200, bench_pid=100, database="bench"),
                       bench_backends=frozenset(p.pid for p in processes if p.database == "bench"))


def test_a_window_charges_each_group_its_cpu_time_and_the_rest_to_the_machine() -> None:
    # given the machine before a 10 s window and after it: the workers used 600 ticks each, the backend 300,
    # wrk (reaped by the bench) 40, the foreign backend 100 and pytest 200, of 2000 busy ticks
    before = _snapshot(5.0, 10_000, 3_000, _processes(worker=100, backend=50, foreign=30, postmaster_reaped=1000,
                                                      bench_reaped=8, other=400))
    after = _snapshot(15.0, 12_000, 3_050, _processes(worker=700, backend=350, foreign=130, postmaster_reaped=1000,
                                                      bench_reaped=48, other=600))
    # when the window's use is computed at 100 ticks a second
    use = cpu_use(before, after, ticks_per_second=100)
    # then each group has its seconds, rest the busy time left (other processes and the kernel)
    assert (use.seconds, use.gunicorn, use.postgres, use.wrk) == (10.0, 12.0, 3.0, 0.4)
    assert use.other == pytest.approx(3.0) and use.rest == pytest.approx(20.0 - 12.0 - 3.0 - 0.4)
    assert use.busy == pytest.approx(20.0) and use.busy_share == pytest.approx(20.0 / 20.5)
    assert (use.idle, use.iowait, use.bench_backends_ended) == (0.5, 0.05, 0)
    # and per request (400 completed): ms of each group, the total being all the busy time
    ms = use.ms_per_request(400)
    assert ms["gunicorn"] == pytest.approx(30.0) and ms["postgres"] == pytest.approx(7.5)
    assert ms["total"] == pytest.approx(50.0) and ms["rest"] == pytest.approx(11.5)


def test_backends_that_end_or_start_in_a_window_are_counted_once() -> None:
    # given the foreign backend ends during the window (its 130 ticks, 100 of them in the window, reaped by
    # the postmaster) and a new backend of the bench database starts (20 ticks)
    before = _processes(worker=100, backend=50, foreign=30, postmaster_reaped=1000, bench_reaped=8, other=400)
    after = [p for p in _processes(worker=100, backend=50, foreign=0, postmaster_reaped=1130, bench_reaped=8,
                                   other=400, new_backend=20) if p.pid != 303]
    use = cpu_use(_snapshot(0.0, 0, 0, before), _snapshot(1.0, 200, 0, after), ticks_per_second=100)
    # then the ended backend's time in the window (100) is in other, the new backend's 20 in postgres
    assert (use.other, use.postgres, use.postgres_all) == pytest.approx((1.0, 0.2, 1.2))
    # and a bench backend that ends is reported (its time went to other with the postmaster's reaped times)
    gone = [p for p in _processes(worker=100, backend=50, foreign=30, postmaster_reaped=1050, bench_reaped=8,
                                  other=400, ended=True)]
    assert cpu_use(_snapshot(0.0, 0, 0, before), _snapshot(1.0, 0, 0, gone),
                   ticks_per_second=100).bench_backends_ended == 1


def test_a_snapshot_reads_a_proc_tree(tmp_path) -> None:
    # given a fake /proc: the machine line, a gunicorn master and worker, a postmaster and a backend
    (tmp_path / "stat").write_text("cpu  1000 0 500 3000 100 0 20 0 0 0\n")
    entries = {
        200: (_stat_line(200, "python", 100, 3, 1), "python\0-m\0gunicorn\0"),
        201: (_stat_line(201, "python", 200, 90, 10), "python\0-m\0gunicorn\0"),
        300: (_stat_line(300, "postgres", 1, 1, 1, 500, 0), "/usr/lib/postgresql/15/bin/postgres\0-D\0x\0"),
        302: (_stat_line(302, "postgres", 300, 40, 0), "postgres: 15/main: postgres bench 127.0.0.1(4000) idle"),
        303: (_stat_line(303, "postgres", 300, 7, 0), "postgres: 15/main: postgres other 127.0.0.1(4001) idle"),
    }
    for pid, (stat, cmdline) in entries.items():
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "stat").write_text(stat)
        (tmp_path / str(pid) / "cmdline").write_text(cmdline)
    (tmp_path / "self").mkdir()  # not a pid: skipped
    # when a snapshot is taken
    snap = cpu_snapshot(gunicorn_pid=200, database="bench", proc=tmp_path, bench_pid=100)
    # then
    assert snap.machine == MachineTicks(busy=1520, idle=3100, steal=0, irq=20, iowait=100)
    assert snap.groups == {"gunicorn": 104, "postgres": 42, "wrk": 0, "other": 507, "postgres_all": 549}
    assert snap.bench_backends == frozenset({302})


def test_the_ceiling_is_the_ratio_with_the_python_time_of_the_floor() -> None:
    # given (ms per request) an endpoint of 20 total, 12 of it Python and 5 PostgreSQL, its floor 8 total, 4
    # Python and 2 PostgreSQL; 1 ms of other processes in each
    endpoint = {"gunicorn": 12.0, "postgres": 5.0, "wrk": 0.5, "rest": 2.5, "other": 1.0, "total": 20.0}
    floor = {"gunicorn": 4.0, "postgres": 2.0, "wrk": 0.5, "rest": 1.5, "other": 1.0, "total": 8.0}
    figures = ceilings(endpoint, floor)
    assert figures["cpu_model"] == pytest.approx(8 / 20)
    assert figures["ceiling"] == pytest.approx(8 / (20 - 12 + 4))  # 67%
    assert figures["postgres_only"] == pytest.approx(8 / (8 - 2 + 5))  # 73%
    assert figures["ceiling_without_other"] == pytest.approx(7 / (19 - 12 + 4))
    assert "gunicorn_budget" not in figures


def test_the_python_budget_is_the_gunicorn_time_that_would_meet_the_goal() -> None:
    # given the same endpoint (20 ms a request, 12 of it Python) and floor (8 ms), and a goal of 50%
    endpoint = {"gunicorn": 12.0, "postgres": 5.0, "wrk": 0.5, "rest": 2.5, "other": 1.0, "total": 20.0}
    floor = {"gunicorn": 4.0, "postgres": 2.0, "wrk": 0.5, "rest": 1.5, "other": 1.0, "total": 8.0}
    # when
    figures = ceilings(endpoint, floor, goal=0.5)
    # then the endpoint may cost 16 ms in all, 8 of which are not Python: Python must fall from 12 to 8 ms
    assert figures["gunicorn_budget"] == pytest.approx(8 / 0.5 - (20 - 12))
    # and with the budget spent, the CPU model gives exactly the goal
    assert 8 / (20 - 12 + figures["gunicorn_budget"]) == pytest.approx(0.5)
    # and a goal beyond the ceiling leaves a budget below the floor's own Python time
    assert ceilings(endpoint, floor, goal=0.7)["gunicorn_budget"] < floor["gunicorn"]


def _cpu(seconds: float, gunicorn: float, postgres: float, other: float = 0.0) -> CpuUse:
    return CpuUse(seconds=seconds, gunicorn=gunicorn, postgres=postgres, wrk=0.2, rest=0.3 + other, other=other,
                  idle=0.1, steal=0.0, irq=0.0)


def test_the_summary_gives_medians_of_cpu_per_request_and_of_the_ceilings() -> None:
    # given three rounds of write floor / create, 1000 floor and 400 create requests in each
    create = next(e for e in ENDPOINTS if e.name == "create")
    windows = []
    for round_number, python in [(1, 8.0), (2, 9.0), (3, 14.0)]:
        floor = _window("bare-write", 1000, round_number)
        floor.cpu = _cpu(10.0, 4.0, 1.5)  # 4 + 1.5 + 0.2 + 0.3 = 6 s: 6 ms a request
        mine = _window("create", 400, round_number)
        mine.cpu = _cpu(10.0, python, 3.5)
        windows += [floor, mine]
    # when summarized
    [result] = summarize(windows, [create], {})
    cpu = result.cpu
    assert cpu is not None
    # then the medians per group, the floor's, and the median of each round's ceiling
    assert cpu["ms_per_request"]["gunicorn"] == 22.5 and cpu["ms_per_request"]["postgres"] == 8.75
    assert cpu["ms_per_request"]["total"] == 32.5  # (9 + 3.5 + 0.5) s / 400
    assert cpu["floor_ms_per_request"] == {"gunicorn": 4.0, "postgres": 1.5, "wrk": 0.2, "rest": 0.3, "other": 0.0,
                                           "postgres_all": 0.0, "total": 6.0}
    # ceiling: 6 / (total - gunicorn + 4) = 6 / (8.75 + 0.5 + 0.75 + 4) whatever the Python time
    assert cpu["ceiling"] == pytest.approx(6 / 14, abs=0.001)
    assert cpu["postgres_only"] == pytest.approx(6 / (6 - 1.5 + 8.75), abs=0.001)
    assert cpu["cpu_model"] == pytest.approx(6 / 32.5, abs=0.001)
    assert cpu["busy"] == pytest.approx(13 / 13.1, abs=0.001) and len(cpu["rounds"]) == 3
    # and the Python budget for create's goal: 6 / goal - (32.5 - 22.5) in the median round
    assert cpu["gunicorn_budget"] == pytest.approx(6 / create.goal - 10.0, abs=0.001)
    # and the floor's own summary has its CPU too
    assert floor_summary(windows, {})["write"]["cpu"]["ms_per_request"]["total"] == 6.0


def test_the_default_run_measures_the_pipeline_floors_and_a_serving_setting_can_be_tried() -> None:
    args = parse_args(["--node-env", "GUNICORN_THREADS=2", "--node-env", "WEB_CONCURRENCY=2"])
    assert [e.name for e in args.endpoint_list] == ["read-floor", "get", "list", "write-floor", "create", "confirm",
                                                   "confirm-3wh"]
    assert args.node_env == [("GUNICORN_THREADS", "2"), ("WEB_CONCURRENCY", "2")]
    with pytest.raises(SystemExit):
        parse_args(["--node-env", "GUNICORN_THREADS"])


@pytest.mark.django_db
def test_a_features_set_up_step_runs_once_in_the_seed_and_shapes_the_create_body(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from bench.api import seeding

    # given a feature's set-up step (as taxes or a promotion code add)
    configured: list[int] = []

    def promotion(state: Seed) -> None:
        configured.append(len(state.product_ids))
        seeding.configure_promotion_code(state)

    monkeypatch.setattr(seeding, "SETUP_STEPS", [promotion])
    # when the benchmark's data is seeded
    state = seeding.seed(read_orders=2)
    # then the step ran once, after the catalogue, and every create request carries what it added
    assert configured == [60] and len(state.read_ids) == 2
    assert create_body(state)["promotion_code"] == "BENCH10"
