// The JSON body of a GraphQL request. Nearly every request is a small, uncompressed UTF-8 JSON
// object: for those, read the bytes and JSON.parse them, which is all body-parser does in the end
// after its content-type, charset and encoding machinery (measured: `npm run bench -- peers`).
// Anything else (a charset, a Content-Encoding, another type) goes to express.json, whose answers
// (and their error codes, error.middleware.ts) stay as they were.
import express, { type RequestHandler } from 'express';
import { BadRequestError, PayloadTooLargeError } from '../errors.js';

/** `application/json`, optionally with `charset=utf-8`, in any letter case. */
const PLAIN_JSON = /^application\/json\s*(?:;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;

export function jsonBody(limitBytes: number): RequestHandler {
  const fallback = express.json({ limit: limitBytes });
  return (req, res, next) => {
    const type = req.headers['content-type'];
    const encoding = req.headers['content-encoding'];
    if (req.method !== 'POST' || !type || !PLAIN_JSON.test(type) || (encoding !== undefined && encoding.toLowerCase() !== 'identity')) {
      fallback(req, res, next);
      return;
    }
    const declared = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']);
    if (declared !== undefined && declared > limitBytes) {
      next(new PayloadTooLargeError(limitBytes));
      return;
    }
    const chunks: Buffer[] = [];
    let received = 0;
    let done = false;
    const finish = (error?: Error) => {
      if (done) return;
      done = true;
      req.off('data', onData);
      if (error) {
        next(error);
        return;
      }
      let body: unknown;
      try {
        // The message of a syntax error quotes the body (maybe a password): never passed on.
        body = JSON.parse(Buffer.concat(chunks, received).toString('utf8'));
      } catch {
        next(notJson());
        return;
      }
      // body-parser's strict mode: a GraphQL request is an object (or a batch: an array).
      if (typeof body !== 'object' || body === null) {
        next(notJson());
        return;
      }
      req.body = body;
      next();
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limitBytes) {
        finish(new PayloadTooLargeError(limitBytes));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => finish());
    req.once('error', () => finish(new BadRequestError('The request body ended before its declared length')));
  };
}

function notJson(): BadRequestError {
  return new BadRequestError('The request body is not valid JSON (a JSON object, UTF-8 encoded)');
}
