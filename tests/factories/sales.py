import factory

from sales.models import Customer


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Faker("company")
    email = factory.Sequence(lambda n: f"buyer{n}@example.com")
    phone = ""
    default_shipping_address = factory.LazyFunction(lambda: {
        "line1": "123 Commerce St", "city": "Austin", "state": "TX", "postal_code": "78701", "country": "US",
    })

    class Params:
        no_address = factory.Trait(default_shipping_address=None)
