// Bearer handles that lead to their Durable Object: base64url(id ‖ secret). The id half names the
// object, so no lookup is needed; the object keeps only the SHA-256 of the whole handle, so the id
// alone opens nothing. auth_req_ids, callback tokens and refresh tokens are such handles.
import { randomBytes } from './crypto.ts';
import { base64url, fromBase64url } from './encoding.ts';

/** A handle: `id` followed by `secretBytes` fresh CSPRNG bytes, base64url. */
export function mintHandle(id: Uint8Array, secretBytes: number): string {
  const handle = new Uint8Array(id.length + secretBytes);
  handle.set(id, 0);
  handle.set(randomBytes(secretBytes), id.length);
  return base64url(handle);
}

/** The id (base64url) inside a handle of that shape, or undefined when it is malformed. */
export function idOfHandle(handle: string, idBytes: number, secretBytes: number): string | undefined {
  const total = idBytes + secretBytes;
  if (handle.length !== Math.ceil((total * 4) / 3)) return undefined;
  const bytes = fromBase64url(handle);
  if (!bytes || bytes.length !== total) return undefined;
  return base64url(bytes.subarray(0, idBytes));
}
