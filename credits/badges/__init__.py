"""Open Badges 3.0 credentials for certificates, signed with a Data Integrity proof (eddsa-rdfc-2022).

- `jsonld`: the bundled JSON-LD contexts, a document loader that never reaches the network,
  and RDF canonicalisation.
- `integrity`: multibase/Multikey encodings and the eddsa-rdfc-2022 proof (create, verify).
- `keys`: the issuer's signing key and the retired keys that still verify what they signed.
- `credential`: the OpenBadgeCredential a certificate becomes, frozen at issue; the status
  list; verification of a credential someone hands us.
- `baking`: the credential baked into a PNG badge image (iTXt chunk `openbadgecredential`).
"""
