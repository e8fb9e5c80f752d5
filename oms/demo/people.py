"""Japanese people and addresses for the demo, fast enough for hundreds of thousands of them.

Faker takes microseconds per value, so it fills small pools once; people are then combined
from the pools with the seeded random generator, with randomised house numbers, rooms and
phone digits so that addresses and phone numbers rarely repeat (duplicates would make the
blacklist and duplicate-customer matching light up everywhere).
"""

import random
import re
from datetime import UTC, datetime

import phonenumbers
from faker import Faker

from oms.demo.chance import Weighted
from oms.demo.reference import ABROAD, BLACKLIST_REASONS, CANDIDATE_REASONS, PREFECTURES
from oms.models import AddressKind, BlacklistStatus

POOL_SIZE = 3000
# Reserved for documentation (RFC 2606, JPRS): demo mail must never reach a real mailbox.
MAIL_DOMAINS = ("example.jp", "example.co.jp", "example.ne.jp", "example.com")

CUSTOMER_COLUMNS = ("id", "customer_number", "name", "kana", "email", "phone",
                    "blacklist_status", "blacklist_reason", "created_at")
ADDRESS_COLUMNS = ("id", "customer_id", "kind", "name", "kana", "postcode", "prefecture",
                   "address1", "address2", "phone", "country")

# (name, kana, postcode, prefecture, address1, address2, phone): how orders copy a party.
Party = tuple[str, str | None, str | None, str | None, str | None, str | None, str | None]


class People:
    """Makes up names, addresses and phone numbers from pools filled once by Faker."""

    def __init__(self, rng: random.Random, pool_size: int = POOL_SIZE):
        self.rng = rng
        fake = Faker("ja_JP")
        fake.seed_instance(rng.getrandbits(32))
        self.last_names = [fake.last_name_pair() for _ in range(pool_size)]
        self.first_names = [
            fake.first_name_female_pair() if i % 2 else fake.first_name_male_pair()
            for i in range(pool_size)
        ]
        self.cities = [fake.city() for _ in range(pool_size)]
        self.towns = [fake.town() for _ in range(pool_size)]
        self.buildings = [fake.building_name() for _ in range(pool_size // 10)]
        # Fewer: the last four digits are drawn afresh for each person anyway.
        self.phones = [number for number in (fake.phone_number() for _ in range(pool_size // 5))
                       if _domestic(number)]
        self.prefectures = Weighted.of((p[:3] for p in PREFECTURES), (p[3] for p in PREFECTURES))

    def name(self) -> tuple[str, str, str]:
        """Name, kana and a romanised name for e-mail addresses."""
        last, last_kana, last_roman = self.rng.choice(self.last_names)
        first, first_kana, first_roman = self.rng.choice(self.first_names)
        return f"{last} {first}", f"{last_kana} {first_kana}", f"{first_roman}.{last_roman}"

    def phone(self) -> str:
        return f"{self.rng.choice(self.phones)[:-4]}{self.rng.randrange(10_000):04d}"

    def address(self) -> tuple[str, str, str, str | None]:
        """Postcode, prefecture, street address and (for flats) the building and room."""
        rng = self.rng
        prefecture, low, high = self.prefectures.pick(rng)
        postcode = f"{rng.randint(low, high):03d}-{rng.randrange(10_000):04d}"
        street = (f"{rng.choice(self.cities)}{rng.choice(self.towns)}"
                  f"{rng.randint(1, 9)}-{rng.randint(1, 30)}-{rng.randint(1, 20)}")
        flat = None
        if rng.random() < 0.45:
            flat = (f"{rng.choice(self.towns)}{rng.choice(self.buildings)} "
                    f"{rng.randint(1, 12)}{rng.randint(1, 12):02d}号室")
        return postcode, prefecture, street, flat

    def party(self) -> Party:
        """Someone else: a gift recipient, a relative, an office."""
        name, kana, _ = self.name()
        return (name, kana, *self.address(), self.phone())

    def abroad(self, roman: str) -> tuple[Party, str]:
        """A recipient outside Japan and the country code."""
        country, street, postcode = self.rng.choice(ABROAD)
        first, last = roman.split(".")
        return (f"{first} {last}", None, postcode, None, street, None, None), country


class Customers:
    """Customer rows and, per customer, the buyer and recipient an order copies."""

    def __init__(self, people: People, first_orders: list[float]):
        rng = people.rng
        self.rows: list[tuple] = []
        self.address_rows: list[tuple] = []
        self.buyers: list[tuple] = []  # Party + e-mail
        self.recipients: list[Party] = []
        self.romans: list[str] = []
        statuses = _blacklist(rng, len(first_orders))
        for index, first_order in enumerate(first_orders):
            customer_id = index + 1
            name, kana, roman = people.name()
            email = f"{roman.lower()}{customer_id}@{rng.choice(MAIL_DOMAINS)}"
            phone = people.phone()
            buyer = (name, kana, *people.address(), phone)
            # Most send to themselves; some to family or an office, saved as their address.
            recipient = buyer if rng.random() < 0.8 else people.party()
            status, reason = statuses.get(index, (BlacklistStatus.clear, None))
            # Registered a little before the first order (members sign up, then buy).
            created = datetime.fromtimestamp(first_order - rng.uniform(60, 3 * 86400), UTC)
            self.rows.append((customer_id, f"C{customer_id:09d}", name, kana, email, phone,
                              status.value, reason, created))
            for offset, (kind, party) in enumerate(((AddressKind.billing, buyer),
                                                    (AddressKind.shipping, recipient))):
                self.address_rows.append((2 * index + offset + 1, customer_id, kind.value,
                                          *party, "JP"))
            self.buyers.append((*buyer, email))
            self.recipients.append(recipient)
            self.romans.append(roman)


def _domestic(number: str) -> bool:
    """Faker's ja_JP numbers are sometimes malformed ("78-3533-7406") or international
    ("+81-..."): keep the valid ones written as Japanese write them."""
    return (re.fullmatch(r"0\d{1,4}-\d{1,4}-\d{4}", number) is not None
            and phonenumbers.is_valid_number(phonenumbers.parse(number, "JP")))


def _blacklist(rng: random.Random, count: int) -> dict[int, tuple[BlacklistStatus, str]]:
    """A few blacklisted customers and twice as many candidates, at least one of each."""
    if count < 3:
        return {}
    listed = max(1, count // 300)
    picked = rng.sample(range(count), 3 * listed)
    marks = {i: (BlacklistStatus.blacklisted, rng.choice(BLACKLIST_REASONS))
             for i in picked[:listed]}
    marks.update({i: (BlacklistStatus.candidate, rng.choice(CANDIDATE_REASONS))
                  for i in picked[listed:]})
    return marks

