// A small DER reader for X.509 certificates (RFC 5280 §4.1), no dependency: the subject's
// distinguished name in RFC 4514 string form and the subject alternative names RFC 8705 §2.1.2 matches
// on; and RFC 4514 DNs compared as names, not as strings. Every read is bounds-checked and every loop
// advances, so malformed input gives undefined, never a throw that escapes or a hang.
// Attribute types by short name (RFC 4514 §3, plus DC, UID, emailAddress as OpenSSL names it and
// serialNumber); any other type as its dotted OID with the value as `#` and the hex of its DER.

interface Node {
  tag: number;
  /** Where its tag octet is. */
  head: number;
  /** Where its contents start and end. */
  start: number;
  end: number;
}

/** The DER node at `at`, lying wholly before `limit` (definite lengths of up to 3 octets only). */
function node(b: Uint8Array, at: number, limit: number): Node {
  let length = b[at + 1]!;
  let start = at + 2;
  if (length > 0x80 && length < 0x84) for (let n = length - 0x80, i = (length = 0); i < n; i++) length = length * 256 + b[start++]!;
  else if (length >= 0x80) throw Error();
  // Past the end, `length` or an octet is undefined and the sum NaN: refused as well.
  if (!(start + length <= limit) || (b[at]! & 0x1f) === 0x1f) throw Error();
  return { tag: b[at]!, head: at, start, end: start + length };
}

/** The nodes inside a constructed node, in order. */
function children(b: Uint8Array, parent: Node | undefined): Node[] {
  if (!parent || !(parent.tag & 0x20)) throw Error();
  const out: Node[] = [];
  for (let at = parent.start; at < parent.end; at = out[out.length - 1]!.end) out.push(node(b, at, parent.end));
  return out;
}

const latin1 = (b: Uint8Array) => Array.from(b, (x) => String.fromCharCode(x)).join('');
const hexOf = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/** A string value's text (UTF8String, PrintableString, IA5String, TeletexString, VisibleString, BMPString); undefined for other types. */
function textOf(b: Uint8Array, n: Node): string | undefined {
  const bytes = b.subarray(n.start, n.end);
  const decode = (label: string) => new TextDecoder(label, { fatal: true, ignoreBOM: true }).decode(bytes);
  if (n.tag === 0x0c) return decode('utf-8');
  if ([0x13, 0x14, 0x16, 0x1a].includes(n.tag)) return latin1(bytes);
  if (n.tag === 0x1e) return decode('utf-16be');
}

/** The dotted form of an OBJECT IDENTIFIER's contents (X.690 §8.19). */
function oidOf(b: Uint8Array, n: Node): string {
  const arcs: number[] = [];
  for (let i = n.start, value = 0; i < n.end; i++) {
    value = value * 128 + (b[i]! & 0x7f);
    if (!(b[i]! & 0x80)) arcs.push(value), (value = 0);
  }
  const first = arcs.shift()!;
  return (first < 80 ? [Math.floor(first / 40), first % 40] : [2, first - 80]).concat(arcs).join('.');
}

/** The short names by OID: RFC 4514 §3's (X.520's 2.5.4.x), RFC 4519's UID and DC, PKCS #9's emailAddress. */
const NAMES: Readonly<Record<string, string>> = {
  ...Object.fromEntries(Object.entries({ 3: 'CN', 5: 'serialNumber', 6: 'C', 7: 'L', 8: 'ST', 9: 'STREET', 10: 'O', 11: 'OU' }).map(([arc, name]) => [`2.5.4.${arc}`, name])),
  '0.9.2342.19200300.100.1.1': 'UID',
  '0.9.2342.19200300.100.1.25': 'DC',
  '1.2.840.113549.1.9.1': 'emailAddress',
};

/** RFC 4514 §2.4: a value's special characters escaped (a leading space or `#`, a trailing space, NUL as `\00`). */
export const escapeDnValue = (value: string) => value.replace(/["+,;<>\\\0]|^[ #]| $/g, (ch) => (ch === '\0' ? '\\00' : `\\${ch}`));

/** RFC 4514 §2: a Name's RDNs last to first, `,` between them, `+` between the values of one. */
function nameOf(b: Uint8Array, name: Node): string {
  const rdn = (set: Node) =>
    children(b, set).map((pair) => {
      const [type, value] = children(b, pair);
      if (type?.tag !== 6 || !value) throw Error();
      const oid = oidOf(b, type);
      const text = NAMES[oid] === undefined ? undefined : textOf(b, value);
      return text === undefined ? `${oid}=#${hexOf(b.subarray(value.head, value.end))}` : `${NAMES[oid]}=${escapeDnValue(text)}`;
    });
  return children(b, name).reverse().map((set) => rdn(set).join('+')).join(',');
}

export interface CertificateNames {
  /** The subject's DN, RFC 4514 string form. */
  subjectDn: string;
  /** RFC 5280 §4.2.1.6: rfc822Name, dNSName and uniformResourceIdentifier entries. */
  san: { dns: string[]; uri: string[]; email: string[] };
}

/** The subject names of a DER certificate; undefined when it is not one. */
export function readCertificate(der: Uint8Array): CertificateNames | undefined {
  try {
    const certificate = node(der, 0, der.length);
    const [tbs, , signature] = children(der, certificate);
    if (certificate.end !== der.length || !signature) return undefined;
    const fields = children(der, tbs);
    // version [0], serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo, ..., extensions [3]
    const [subject, key] = fields.slice(fields[0]?.tag === 0xa0 ? 5 : 4);
    if (subject?.tag !== 0x30 || key?.tag !== 0x30) return undefined;
    const san: CertificateNames['san'] = { dns: [], uri: [], email: [] };
    const extensions = fields.find((f) => f.tag === 0xa3);
    for (const extension of extensions ? children(der, children(der, extensions)[0]) : []) {
      const parts = children(der, extension);
      if (parts[0]?.tag !== 6 || oidOf(der, parts[0]) !== '2.5.29.17') continue;
      const value = parts[parts.length - 1]!;
      if (value.tag !== 4) return undefined;
      for (const name of children(der, node(der, value.start, value.end))) {
        const kind = ({ 0x81: 'email', 0x82: 'dns', 0x86: 'uri' } as const)[name.tag];
        if (kind) san[kind].push(latin1(der.subarray(name.start, name.end)));
      }
    }
    return { subjectDn: nameOf(der, subject), san };
  } catch {
    return undefined;
  }
}

/**
 * A DN in one form for comparison (RFC 8705 §2.1.2: compared as DNs): RFC 4514 §3 parsed (spaces
 * around `,` `+` `=` tolerated), types by short name whatever their case or OID, string values
 * unescaped and lowercased, `#` hex values as hex, the values of a multi-valued RDN sorted;
 * undefined when it does not parse.
 */
export function canonicalDn(dn: string): string | undefined {
  const pair = /\s*([A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)*)\s*= *(#[0-9A-Fa-f]*|(?!#)(?:\\[\s\S]|[^"+,;<>\\\0])*)(,|\+|$)/y;
  const rdns: string[] = [];
  let rdn: string[] = [];
  try {
    while (dn !== '') {
      const [, type, raw, separator] = pair.exec(dn) ?? [];
      if (raw === undefined) return undefined;
      rdn.push(`${(Object.hasOwn(NAMES, type!) ? NAMES[type!]! : type!).toLowerCase()}=${canonicalValue(raw)}`);
      if (separator !== '+') rdns.push(rdn.sort().join('+')), (rdn = []);
      if (separator === '') break;
    }
    return rdns.join(',');
  } catch {
    return undefined;
  }
}

function canonicalValue(raw: string): string {
  // RFC 4514 §2.4: `#` and the hex of the value's DER, as a type given by OID has it, is compared as such.
  if (raw[0] === '#') {
    if (!/^#([0-9a-fA-F]{2})+$/.test(raw)) throw Error();
    return raw.toLowerCase();
  }
  // Unescaped trailing spaces are not the value's (an odd run of `\` before them escapes the first);
  // `\XX` escapes are UTF-8 octets.
  let end = raw.length;
  while (raw[end - 1] === ' ') end--;
  let slashes = 0;
  while (raw[end - 1 - slashes] === '\\') slashes++;
  const text = decodeURIComponent(raw.slice(0, end + (slashes % 2)).replace(/\\([0-9A-Fa-f]{2})|\\?([\s\S])/gu, (_, hex: string | undefined, ch: string) => (hex ? `%${hex}` : encodeURIComponent(ch))));
  return escapeDnValue(text.toLowerCase());
}

/** Do two RFC 4514 DNs name the same subject (RFC 8705 §2.1.2)? Never when either does not parse. */
export function sameDn(a: string, b: string): boolean {
  const canonical = canonicalDn(a);
  return canonical !== undefined && canonical === canonicalDn(b);
}
