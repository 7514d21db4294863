// What goes on the wire and comes back: a request, an answer as received (bytes) and as read (text).
export interface HttpRequest {
  method: string;
  url: URL;
  headers: Array<[string, string]>;
  body?: string;
  /** Send the bytes as written, bypassing the client's header validation. */
  raw?: boolean;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  truncated: boolean;
  /** Why the body could not be read (a Content-Encoding not decoded): it is shown as received, and proves nothing. */
  undecoded?: string;
  ms: number;
  /** The status line's reason text ("OK"), when the target sent one. */
  reason?: string;
  /** Interim answers (103 Early Hints, 100 Continue) received before this one, in order. */
  interim?: Array<{ status: number; headers: Record<string, string> }>;
  /** Trailer fields after a chunked body. */
  trailers?: Record<string, string>;
  /** Chunk extensions (`;name=value` after a chunk size) of a chunked body, as sent (read on the raw-socket path). */
  extensions?: string[];
}

/** An answer as received: the body still its bytes (at most the cap), before its Content-Encoding is undone. */
export type Received = Omit<HttpResponse, 'ms'> & { bytes: Buffer };
