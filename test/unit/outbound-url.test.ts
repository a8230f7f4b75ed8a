// Which outbound URLs may be registered (src/lib/validation.ts, outboundUrlProblem): https only, and
// never an address inside a network, however the address is spelled; loopback in development.
import { describe, expect, it } from 'vitest';
import { outboundUrlProblem } from '../../src/lib/validation.ts';

const INSIDE = /^must not point at a private, loopback or link-local address \(/;

describe('outboundUrlProblem', () => {
  it.each([
    'https://hooks.example.com/ciba',
    'https://hooks.example.com:8443/ciba?x=1',
    'https://8.8.8.8/',
    'https://9.255.255.255/',
    'https://11.0.0.0/',
    'https://100.63.255.255/',
    'https://100.128.0.0/',
    'https://172.15.255.255/',
    'https://172.32.0.0/',
    'https://169.253.255.255/',
    'https://192.167.255.255/',
    'https://[2001:db8::1]/',
    'https://[2606:4700::1111]/',
    'https://[::ffff:8.8.8.8]/',
    'https://[fe00::1]/',
    'https://localhost.example.com/',
  ])('accepts %s', (url) => {
    expect(outboundUrlProblem(url, false)).toBeUndefined();
  });

  it.each([
    // IPv4 (RFC 6890 §2.2.2)
    ['https://10.0.0.1/', '10.0.0.0/8 is private'],
    ['https://10.255.255.255/', '10.0.0.0/8 is private'],
    ['https://172.16.0.1/', '172.16.0.0/12 is private'],
    ['https://172.31.255.255/', '172.16.0.0/12 is private'],
    ['https://192.168.1.1/', '192.168.0.0/16 is private'],
    ['https://127.0.0.1/', '127.0.0.0/8 is loopback'],
    ['https://127.255.0.9:8443/', '127.0.0.0/8 is loopback'],
    ['https://169.254.169.254/latest/meta-data', '169.254.0.0/16 is link-local'],
    ['https://0.0.0.0/', '0.0.0.0 is unspecified'],
    ['https://0.1.2.3/', '0.0.0.0/8 is this network'],
    ['https://100.64.0.1/', '100.64.0.0/10 is shared address space for carrier-grade NAT'],
    ['https://100.127.255.255/', '100.64.0.0/10 is shared address space for carrier-grade NAT'],
    // IPv4 spellings the WHATWG URL parser writes as dotted decimal
    ['https://2130706433/', '127.0.0.0/8 is loopback'],
    ['https://0x7f.1/', '127.0.0.0/8 is loopback'],
    ['https://0177.0.0.1/', '127.0.0.0/8 is loopback'],
    ['https://127.1/', '127.0.0.0/8 is loopback'],
    ['https://0x0a000001/', '10.0.0.0/8 is private'],
    ['https://0/', '0.0.0.0 is unspecified'],
    ['https://127.0.0.1./', '127.0.0.0/8 is loopback'],
    ['https://%31%32%37.0.0.1/', '127.0.0.0/8 is loopback'],
    // IPv6
    ['https://[::1]/', '::1/128 is loopback'],
    ['https://[0:0:0:0:0:0:0:1]/', '::1/128 is loopback'],
    ['https://[::]/', '::/128 is unspecified'],
    ['https://[fc00::1]/', 'fc00::/7 is unique local'],
    ['https://[fd12:3456:789a::1]/', 'fc00::/7 is unique local'],
    ['https://[fe80::1]/', 'fe80::/10 is link-local'],
    ['https://[febf:ffff::1]/', 'fe80::/10 is link-local'],
    ['https://[fec0::1]/', 'fec0::/10 is site-local'],
    ['https://[::ffff:10.0.0.1]/', '10.0.0.0/8 as IPv4-mapped IPv6 is private'],
    ['https://[::ffff:7f00:1]/', '127.0.0.0/8 as IPv4-mapped IPv6 is loopback'],
    ['https://[::ffff:169.254.169.254]/', '169.254.0.0/16 as IPv4-mapped IPv6 is link-local'],
    ['https://[::ffff:192.168.0.1]/', '192.168.0.0/16 as IPv4-mapped IPv6 is private'],
    ['https://[::127.0.0.1]/', '127.0.0.0/8 as IPv4-compatible IPv6 is loopback'],
    ['https://[64:ff9b::10.0.0.1]/', '10.0.0.0/8 through NAT64 (64:ff9b::/96) is private'],
    // Names that are loopback by definition (RFC 6761 §6.3)
    ['https://localhost/', 'localhost is loopback'],
    ['https://LOCALHOST./', 'localhost is loopback'],
    ['https://api.localhost/', 'localhost is loopback'],
  ])('refuses %s: %s', (url, why) => {
    const problem = outboundUrlProblem(url, false);
    expect(problem).toMatch(INSIDE);
    expect(problem).toBe(`must not point at a private, loopback or link-local address (${why})`);
    // The error_description character set (RFC 6749 §5.2): printable ASCII without " and \.
    expect(problem).toMatch(/^[\x20\x21\x23-\x5B\x5D-\x7E]+$/);
  });

  it.each([
    ['not a URL', 'hooks.example.com/ciba', 'must be an absolute https URL'],
    ['a relative URL', '/ciba', 'must be an absolute https URL'],
    ['http', 'http://hooks.example.com/ciba', 'must be an https URL'],
    ['http on loopback', 'http://127.0.0.1:9000/ciba', 'must be an https URL'],
    ['another scheme', 'ftp://hooks.example.com/ciba', 'must be an https URL'],
    ['credentials', 'https://user:pass@hooks.example.com/', 'must not hold a user name or password'],
    ['a fragment', 'https://hooks.example.com/ciba#x', 'must not have a fragment'],
  ])('refuses %s', (_name, url, problem) => {
    expect(outboundUrlProblem(url, false)).toBe(problem);
  });

  describe('in development (contract §7)', () => {
    it.each([
      'http://127.0.0.1:8787/ciba',
      'http://127.8.9.10/',
      'http://localhost:9000/',
      'http://[::1]:9000/',
      'http://2130706433/',
      'http://[::ffff:127.0.0.1]/',
      'https://127.0.0.1/',
      'https://localhost/',
      'https://[::1]/',
      'https://hooks.example.com/',
    ])('accepts %s', (url) => {
      expect(outboundUrlProblem(url, true)).toBeUndefined();
    });

    it.each([
      ['http://hooks.example.com/', 'must be an https URL (http only on loopback, in development)'],
      ['http://10.0.0.1/', 'must be an https URL (http only on loopback, in development)'],
      ['https://10.0.0.1/', 'must not point at a private, loopback or link-local address (10.0.0.0/8 is private)'],
      ['https://[fe80::1]/', 'must not point at a private, loopback or link-local address (fe80::/10 is link-local)'],
      ['https://0.0.0.0/', 'must not point at a private, loopback or link-local address (0.0.0.0 is unspecified)'],
    ])('refuses %s', (url, problem) => {
      expect(outboundUrlProblem(url, true)).toBe(problem);
    });
  });
});
