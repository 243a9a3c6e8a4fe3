"""Reference data every package shares: professions, licence types, certifying boards, states. One home each."""
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

# The kinds of licence a state board issues. A state approval names the types it covers
# (content/provider.yaml `licence_types:`): California's BRN approval covers RN and APRN
# licences, its vocational nursing approval LPN/LVN licences, and so on.
LICENCE_TYPES = {
    "RN": "Registered nurse (RN)",
    "APRN": "Advanced practice registered nurse (APRN)",
    "LPN": "Licensed practical or vocational nurse (LPN/LVN)",
    "PT": "Psychiatric technician",
    "MD": "Physician (MD)",
    "DO": "Physician (DO)",
    "PA": "Physician assistant (PA)",
    "LCSW": "Licensed clinical social worker (LCSW)",
    "LMSW": "Licensed master social worker (LMSW)",
    "LMHC": "Licensed mental health counselor (LMHC)",
    "LPC": "Licensed professional counselor (LPC)",
    "LMFT": "Licensed marriage and family therapist (LMFT)",
    "PSY": "Psychologist",
    "OTHER": "Other licence",
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
