// A DER writer for the tests (X.690): certificates with any subject and subject alternative names,
// made in the test, so the reader in src/lib/x509.ts meets names no fixture holds. Their signatures
// are filler: nothing in the server checks a certificate's signature (the deployment's mTLS does).

const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) out.set(part, (at += part.length) - part.length);
  return out;
};

/** A TLV: the tag, the definite length (short or long form), the contents. */
export function tlv(tag: number, ...contents: Uint8Array[]): Uint8Array {
  const body = concat(contents);
  const n = body.length;
  const length = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : n < 0x10000 ? [0x82, n >> 8, n & 0xff] : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  return concat([new Uint8Array([tag, ...length]), body]);
}

/** An OBJECT IDENTIFIER from its dotted form (X.690 §8.19). */
export function oid(dotted: string): Uint8Array {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const bytes: number[] = [];
  for (const arc of [a! * 40 + b!, ...rest]) {
    const groups = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) groups.unshift((v & 0x7f) | 0x80);
    bytes.push(...groups);
  }
  return tlv(0x06, new Uint8Array(bytes));
}

export const utf8String = (text: string) => tlv(0x0c, new TextEncoder().encode(text));
export const ia5String = (text: string) => tlv(0x16, Uint8Array.from(text, (ch) => ch.charCodeAt(0)));
const seq = (...parts: Uint8Array[]) => tlv(0x30, ...parts);

/** One attribute of an RDN: its type's OID and its value's DER. */
export type Attribute = [type: string, value: Uint8Array];

/** A Name (RFC 5280 §4.1.2.4): RDNs first to last as DER orders them, each a SET of attributes. */
export const name = (rdns: Attribute[][]) => seq(...rdns.map((rdn) => tlv(0x31, ...rdn.map(([type, value]) => seq(oid(type), value)))));

export interface CertificateParts {
  subject: Attribute[][];
  san?: { dns?: string[]; uri?: string[]; email?: string[] };
}

/** An X.509 v3 certificate (RFC 5280 §4.1) with the subject and SANs given; its key and signature are filler. */
export function certificate({ subject, san }: CertificateParts): Uint8Array {
  const ecdsaSha256 = seq(oid('1.2.840.10045.4.3.2'));
  const time = (text: string) => tlv(0x17, Uint8Array.from(text, (ch) => ch.charCodeAt(0)));
  const key = seq(seq(oid('1.2.840.10045.2.1'), oid('1.2.840.10045.3.1.7')), tlv(0x03, new Uint8Array([0, 4, ...new Array(64).fill(7)])));
  const names = san
    ? [
        ...(san.email ?? []).map((v) => ia5String(v).fill(0x81, 0, 1)),
        ...(san.dns ?? []).map((v) => ia5String(v).fill(0x82, 0, 1)),
        ...(san.uri ?? []).map((v) => ia5String(v).fill(0x86, 0, 1)),
      ]
    : [];
  const extensions = san ? [tlv(0xa3, seq(seq(oid('2.5.29.17'), tlv(0x04, seq(...names)))))] : [];
  const tbs = seq(
    tlv(0xa0, tlv(0x02, new Uint8Array([2]))),
    tlv(0x02, new Uint8Array([1])),
    ecdsaSha256,
    name([[['2.5.4.3', utf8String('Issuer')]]]),
    seq(time('250101000000Z'), time('350101000000Z')),
    name(subject),
    key,
    ...extensions,
  );
  return seq(tbs, ecdsaSha256, tlv(0x03, new Uint8Array([0, 1, 2, 3])));
}
