// Verify an Open Badges credential the way a third party would, with Digital Bazaar's stack.
//
//   node verify.mjs CREDENTIAL.json PUBLISHED_DIR
//
// PUBLISHED_DIR holds what the issuer publishes, as fetched from it: issuer.json (the key
// document at the issuer URL) and status-<n>.json (each status list credential). JSON-LD
// contexts come from the app's bundle (credits/badges/contexts); any other URL is refused, so
// nothing is fetched from the network. Prints {"verified": ..., "error": ...}; exits 0 only
// when the credential verifies and is not revoked.
import {readFileSync} from 'node:fs';
import {gunzipSync} from 'node:zlib';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022CryptoSuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as vc from '@digitalbazaar/vc';

const here = path.dirname(fileURLToPath(import.meta.url));
const contextDir = path.join(here, '..', '..', 'credits', 'badges', 'contexts');
const CONTEXTS = {
  'https://www.w3.org/ns/credentials/v2': 'credentials-v2.jsonld',
  'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json': 'ob-v3p0-context-3.0.3.json',
};
const MULTIKEY_V1 = 'https://w3id.org/security/multikey/v1';

const [credentialFile, publishedDir] = process.argv.slice(2);
const readJson = file => JSON.parse(readFileSync(file, 'utf8'));
const credential = readJson(credentialFile);
const issuerDocument = readJson(path.join(publishedDir, 'issuer.json'));

function documentLoader(url) {
  if(CONTEXTS[url]) {
    return {contextUrl: null, documentUrl: url, document: readJson(path.join(contextDir, CONTEXTS[url]))};
  }
  if(url === issuerDocument.id) {
    return {contextUrl: null, documentUrl: url, document: issuerDocument};
  }
  const method = issuerDocument.verificationMethod.find(candidate => candidate.id === url);
  if(method) {
    return {contextUrl: null, documentUrl: url, document: {'@context': MULTIKEY_V1, ...method}};
  }
  const statusList = url.match(/\/credentials\/status\/(\d+)$/);
  if(statusList) {
    return {contextUrl: null, documentUrl: url,
      document: readJson(path.join(publishedDir, `status-${statusList[1]}.json`))};
  }
  throw new Error(`Refusing to fetch ${url}: this verifier works offline.`);
}

const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022CryptoSuite});

// Bitstring Status List: the status list credential must verify too, then its bit is read.
async function checkStatus({credential}) {
  const entry = credential.credentialStatus;
  if(entry.type !== 'BitstringStatusListEntry' || entry.statusPurpose !== 'revocation') {
    return {verified: false, error: new Error('unsupported credentialStatus')};
  }
  const {document: list} = documentLoader(entry.statusListCredential);
  const listResult = await vc.verifyCredential({credential: list, suite, documentLoader});
  if(!listResult.verified) {
    return {verified: false, error: new Error('the status list credential does not verify')};
  }
  const encoded = list.credentialSubject.encodedList;
  const bits = gunzipSync(Buffer.from(encoded.slice(1), 'base64url'));
  const index = Number(entry.statusListIndex);
  const revoked = (bits[index >> 3] & (0x80 >> (index & 7))) !== 0;
  return revoked ? {verified: false, error: new Error('revoked')} : {verified: true};
}

try {
  const result = await vc.verifyCredential({credential, suite, documentLoader, checkStatus});
  const errors = [];
  const collect = error => {
    for(const each of error?.errors || (error ? [error] : [])) {
      errors.push(each.message);
      collect(each.details?.cause || each.cause);
    }
  };
  collect(result.error);
  collect(result.statusResult?.error);
  console.log(JSON.stringify({verified: result.verified, error: errors.length ? errors.join('; ') : null}));
  process.exit(result.verified ? 0 : 1);
} catch(error) {
  console.log(JSON.stringify({verified: false, error: error.message}));
  process.exit(1);
}
