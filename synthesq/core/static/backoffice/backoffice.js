/* Back-office behaviour on top of Unfold.
 * Links marked data-post ("Confirm", "Mark delivered", "Issue invoice", "Release hold") change state, so they
 * are sent as POST with the page's CSRF token. Without JavaScript the same link opens a confirmation page. */
(function () {
  "use strict";
  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) return input.value;
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[data-post]") : null;
    if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey) return;
    event.preventDefault();
    if (link.dataset.submitting) return;
    link.dataset.submitting = "1";
    var form = document.createElement("form");
    form.method = "post";
    form.action = link.getAttribute("href");
    var token = document.createElement("input");
    token.type = "hidden";
    token.name = "csrfmiddlewaretoken";
    token.value = csrfToken();
    form.appendChild(token);
    document.body.appendChild(form);
    form.submit();
  });
})();
