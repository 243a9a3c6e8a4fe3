"""Reference data every package shares: professions, certifying boards, states. One home each."""
PROFESSIONS = {
    "physician": "Physician",
    "physician_assistant": "Physician assistant",
    "nurse": "Nurse",
    "psychologist": "Psychologist",
    "social_worker": "Social worker",
    "counselor": "Counselor",
    "mft": "Marriage and family therapist",
    "other": "Other",
}

# Certifying boards whose Maintenance of Certification credit is reported through ACCME.
BOARDS = {
    "ABIM": "American Board of Internal Medicine",
    "ABP": "American Board of Pediatrics",
    "ABA": "American Board of Anesthesiology",
    "ABS": "American Board of Surgery",
    "ABPath": "American Board of Pathology",
}

# USPS codes of the states, DC and the territories whose boards license clinicians.
US_STATES = frozenset(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH "
    "NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR GU VI AS MP".split()
)
