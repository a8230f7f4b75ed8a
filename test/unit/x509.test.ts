// The DER reader of client certificates (src/lib/x509.ts): subjects and SANs of certificates openssl
// made (test/fixtures, scripts/make-test-certs.sh) checked against openssl's own reading; RFC 4514
// escaping and DN comparison; and, property-based, certificates made in the test (test/helpers/der.ts)
// with any names, and malformed input, which gives undefined and never throws.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalDn, escapeDnValue, readCertificate, sameDn } from '../../src/lib/x509.ts';
import certs from '../fixtures/client-certs.json';
import { certificate, ia5String, tlv, utf8String, type Attribute } from '../helpers/der.ts';

const derOf = (name: keyof typeof certs) => Uint8Array.from(atob(certs[name].der), (ch) => ch.charCodeAt(0));
const SEED = { seed: 20261204 };

/** The attribute types with a short name (docs/protocol.md §10); the reader writes any other as `#` and the hex of its DER. */
const NAMED = ['2.5.4.3', '2.5.4.10', '2.5.4.11', '2.5.4.6', '2.5.4.7', '2.5.4.8', '2.5.4.9', '0.9.2342.19200300.100.1.25', '0.9.2342.19200300.100.1.1', '1.2.840.113549.1.9.1', '2.5.4.5'];
const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/**
 * An RFC 4514 string by OID, every octet of every string value hex-escaped (§2.4 allows it for any),
 * a type without a name as `#` and its UTF8String's DER in hex: an encoding independent of the reader's.
 */
const fullyEscaped = (rdns: [type: string, value: string][][]) =>
  [...rdns]
    .reverse()
    .map((rdn) =>
      rdn
        .map(([type, value]) =>
          NAMED.includes(type) ? `${type}=${hex(new TextEncoder().encode(value)).replace(/../g, '\\$&')}` : `${type}=#${hex(utf8String(value)).toUpperCase()}`,
        )
        .join('+'),
    )
    .join(',');

describe('readCertificate, on certificates openssl made', () => {
  it.each(Object.keys(certs) as (keyof typeof certs)[])('reads the subject of %s as openssl does, by OID', (name) => {
    const read = readCertificate(derOf(name));
    expect(read).toBeDefined();
    expect(sameDn(read!.subjectDn, certs[name].subjectOids)).toBe(true);
  });

  it('renders the subject in RFC 4514 form with short names, escaping what §2.4 asks', () => {
    expect(readCertificate(derOf('client'))!.subjectDn).toBe('CN=bank-client,O=Bank\\, Inc.,C=EE');
    expect(readCertificate(derOf('tricky'))!.subjectDn).toBe(
      'CN=\\ spaced\\ ,OU=\\#hash,O=Bänk \\"Quoted\\" \\<x\\>\\;y\\\\z,1.3.6.1.4.1.99999.1=#0c0d50534445452d4653412d313233,' +
        'emailAddress=Ops@Bank.example,serialNumber=42+UID=u\\+1,DC=com,DC=example',
    );
  });

  it('reads the DNS, URI and email SANs', () => {
    expect(readCertificate(derOf('client'))!.san).toEqual({ dns: ['client.bank.example'], uri: ['https://bank.example/client'], email: ['ops@bank.example'] });
    expect(readCertificate(derOf('self_signed_2'))!.san).toEqual({ dns: [], uri: [], email: [] });
  });

  it('gives undefined for every truncation and for trailing bytes, and never throws on a changed byte', () => {
    const der = derOf('client');
    for (let length = 0; length < der.length; length++) expect(readCertificate(der.subarray(0, length))).toBeUndefined();
    expect(readCertificate(new Uint8Array([...der, 0]))).toBeUndefined();
    fc.assert(
      fc.property(fc.nat(der.length - 1), fc.integer({ min: 0, max: 255 }), (at, byte) => {
        const changed = der.slice();
        changed[at] = byte;
        expect(() => readCertificate(changed)).not.toThrow();
      }),
      { ...SEED, numRuns: 2000 },
    );
  });
});

describe('readCertificate, on malformed input', () => {
  it.each([
    ['nothing', []],
    ['a tag alone', [0x30]],
    ['a length past the end', [0x30, 0x05, 0x02, 0x01]],
    ['a long length past the end', [0x30, 0x83, 0xff, 0xff, 0xff]],
    ['a length of 5 octets', [0x30, 0x85, 0, 0, 0, 0, 1, 0]],
    ['the indefinite length', [0x30, 0x80, 0, 0]],
    ['a high tag number', [0x3f, 0x01, 0x00]],
    ['a primitive where a sequence belongs', [0x04, 0x00]],
    ['an empty sequence', [0x30, 0x00]],
  ])('%s: undefined', (_name, bytes) => {
    expect(readCertificate(new Uint8Array(bytes))).toBeUndefined();
  });

  it('any bytes at all: undefined or names, never a throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(() => readCertificate(bytes)).not.toThrow();
        expect(() => readCertificate(new Uint8Array([0x30, 0x82, bytes.length >> 8, bytes.length & 0xff, ...bytes]))).not.toThrow();
      }),
      { ...SEED, numRuns: 2000 },
    );
  });

  it('an inner length that overruns its parent, though the outer lengths add up: undefined', () => {
    const der = certificate({ subject: [[['2.5.4.3', utf8String('abc')]]] });
    const at = der.findIndex((_, i) => der[i] === 0x0c && der[i + 1] === 3 && der[i + 2] === 0x61);
    expect(readCertificate(der)).toBeDefined();
    der[at + 1] = 5;
    expect(readCertificate(der)).toBeUndefined();
  });

  it('a subject value that is not valid UTF-8: undefined', () => {
    const der = certificate({ subject: [[['2.5.4.3', tlv(0x0c, new Uint8Array([0xc3, 0x28]))]]] });
    expect(readCertificate(der)).toBeUndefined();
  });
});

describe('readCertificate, on certificates made in the test', () => {
  const TYPES = [...NAMED, '2.5.4.97', '1.3.6.1.4.1.99999.1'];
  const attribute = fc.tuple(fc.constantFrom(...TYPES), fc.string({ unit: 'binary', maxLength: 20 }));
  const subject = fc.array(fc.array(attribute, { minLength: 1, maxLength: 3 }), { maxLength: 5 });
  const ascii = fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 30 });

  it('reads any subject as the DN it is, whatever its characters', () => {
    fc.assert(
      fc.property(subject, (rdns) => {
        const der = certificate({ subject: rdns.map((rdn) => rdn.map(([type, value]): Attribute => [type, utf8String(value)])) });
        const read = readCertificate(der);
        expect(read).toBeDefined();
        expect(sameDn(read!.subjectDn, fullyEscaped(rdns))).toBe(true);
      }),
      { ...SEED, numRuns: 500 },
    );
  });

  it('tells a subject from one with a value changed, and ignores the case of ASCII values of named types', () => {
    fc.assert(
      fc.property(fc.constantFrom(...NAMED), ascii, ascii, (type, value, other) => {
        const read = readCertificate(certificate({ subject: [[[type, utf8String(value)]], [['2.5.4.3', utf8String('x')]]] }))!;
        expect(sameDn(read.subjectDn, fullyEscaped([[[type, value.toUpperCase()]], [['2.5.4.3', 'X']]]))).toBe(true);
        expect(sameDn(read.subjectDn, fullyEscaped([[[type, other]], [['2.5.4.3', 'x']]]))).toBe(value.toLowerCase() === other.toLowerCase());
      }),
      { ...SEED, numRuns: 300 },
    );
  });

  it('reads a BMPString value', () => {
    const bmp = tlv(0x1e, Uint8Array.from([...'Bänk €'].flatMap((ch) => [ch.charCodeAt(0) >> 8, ch.charCodeAt(0) & 0xff])));
    expect(readCertificate(certificate({ subject: [[['2.5.4.10', bmp]]] }))!.subjectDn).toBe('O=Bänk €');
  });

  it('reads back every DNS, URI and email SAN, in order', () => {
    fc.assert(
      fc.property(fc.record({ dns: fc.array(ascii, { maxLength: 4 }), uri: fc.array(ascii, { maxLength: 4 }), email: fc.array(ascii, { maxLength: 4 }) }), (san) => {
        expect(readCertificate(certificate({ subject: [[['2.5.4.3', ia5String('c')]]], san }))!.san).toEqual(san);
      }),
      { ...SEED, numRuns: 300 },
    );
  });
});

describe('escapeDnValue (RFC 4514 §2.4)', () => {
  it.each([
    ['a,b', 'a\\,b'],
    ['a+b', 'a\\+b'],
    ['say "hi"', 'say \\"hi\\"'],
    ['back\\slash', 'back\\\\slash'],
    ['<tag>', '\\<tag\\>'],
    ['a;b', 'a\\;b'],
    ['#lead', '\\#lead'],
    ['mid#dle', 'mid#dle'],
    [' lead', '\\ lead'],
    ['trail ', 'trail\\ '],
    [' ', '\\ '],
    ['  ', '\\ \\ '],
    ['mid dle', 'mid dle'],
    ['nul\0', 'nul\\00'],
    ['Bänk=€', 'Bänk=€'],
  ])('%j → %j', (value, escaped) => {
    expect(escapeDnValue(value)).toBe(escaped);
  });

  it('parses back to the value it escaped, for any value', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 30 }), (value) => {
        expect(canonicalDn(`CN=${escapeDnValue(value)}`)).toBe(`cn=${escapeDnValue(value.toLowerCase())}`);
      }),
      { ...SEED, numRuns: 1000 },
    );
  });
});

describe('sameDn (RFC 8705 §2.1.2: compared as DNs)', () => {
  const dn = 'CN=bank-client,O=Bank\\, Inc.,C=EE';
  it.each([
    ['types and values in another case', 'cn=BANK-CLIENT,o=bank\\, inc.,c=ee'],
    ['spaces around the separators', 'CN = bank-client , O=Bank\\, Inc. ,  C=EE'],
    ['types as OIDs', '2.5.4.3=bank-client,2.5.4.10=Bank\\, Inc.,2.5.4.6=EE'],
    ['octets hex-escaped', 'CN=\\62ank-client,O=Bank\\2c Inc.,C=EE'],
    ['the comma escaped by hex', 'CN=bank-client,O=Bank\\2C Inc.,C=EE'],
  ])('the same with %s', (_name, other) => {
    expect(sameDn(dn, other)).toBe(true);
  });

  it.each([
    ['another value', 'CN=bank-client2,O=Bank\\, Inc.,C=EE'],
    ['the RDNs in another order', 'C=EE,O=Bank\\, Inc.,CN=bank-client'],
    ['an RDN fewer', 'CN=bank-client,O=Bank\\, Inc.'],
    ['an unescaped comma, so another name', 'CN=bank-client,O=Bank, Inc.,C=EE'],
    ['an escaped trailing space', 'CN=bank-client\\ ,O=Bank\\, Inc.,C=EE'],
    ['a named type’s value as `#` hex, compared as hex', 'CN=#0c0b62616e6b2d636c69656e74,O=Bank\\, Inc.,C=EE'],
  ])('not the same with %s', (_name, other) => {
    expect(sameDn(dn, other)).toBe(false);
  });

  it('compares `#` hex values in any case', () => {
    expect(sameDn('1.3.6.1.4.1.99999.1=#0C0D50,CN=x', '1.3.6.1.4.1.99999.1=#0c0d50,cn=X')).toBe(true);
    expect(sameDn('1.3.6.1.4.1.99999.1=#0C0D50', '1.3.6.1.4.1.99999.1=#0C0D51')).toBe(false);
  });

  it('compares multi-valued RDNs in any order, and ignores unescaped trailing spaces', () => {
    expect(sameDn('UID=u1+serialNumber=42,DC=com', 'serialNumber=42+uid=U1 ,dc=com')).toBe(true);
    expect(sameDn('CN=a\\ ', 'CN=a\\20  ')).toBe(true);
  });

  it.each(['CN', 'CN=a,', '=a', 'CN=a,,O=b', 'C N=a', 'CN="a"', 'CN=a\\', 'CN=#abc', 'CN=#zz', 'CN=\\c3\\28', '1.=a', 'constructor=a,,'])(
    '%j does not parse, and matches nothing',
    (text) => {
      expect(canonicalDn(text)).toBeUndefined();
      expect(sameDn(text, text)).toBe(false);
    },
  );

  it('never throws, for any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (text) => {
        expect(() => canonicalDn(text)).not.toThrow();
      }),
      { ...SEED, numRuns: 2000 },
    );
  });
});
