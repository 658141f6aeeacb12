// Preloaded into the peer (node --require) for the streaming scenarios only. The peer appends its
// own headers to the provider's streamed Response, whose headers fetch() made immutable, and
// fails with "TypeError: immutable" (its open issues #1389 and #1550). Re-wrapping a streamed
// Response around the same body stream gives it mutable headers; the body is not copied, read
// or buffered, so each chunk still flows from the provider's socket to the client as before.
'use strict';

const originalFetch = globalThis.fetch;
globalThis.fetch = async function fetchWithMutableStreamHeaders(...args) {
  const response = await originalFetch.apply(this, args);
  const type = response.headers.get('content-type') || '';
  if (!type.startsWith('text/event-stream')) return response;
  return new Response(response.body, {
    status: response.status,
    statusText: response.statusText,
    headers: new Headers(response.headers),
  });
};
