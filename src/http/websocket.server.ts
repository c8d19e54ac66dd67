// graphql-ws on a `ws` WebSocketServer: graphql-ws's own `useServer` (graphql-ws/use/ws) minus
// its console output. That adapter prints socket errors and failed message handling with
// console.error, outside the logger, and a client triggers the first with any malformed frame;
// outside production it also sends the internal error message to the client. The protocol
// itself is graphql-ws's makeServer, exactly as useServer drives it.
import { CloseCode, handleProtocols, makeServer, type ServerOptions } from 'graphql-ws';
import type { Extra } from 'graphql-ws/use/ws';
import type { RawData, WebSocketServer } from 'ws';
import type { Logger } from '../logger.js';

/** Ping every 12 s; a client that does not answer within the next 12 s is dropped. */
const KEEP_ALIVE_MS = 12_000;

export function serveGraphQLOverWebSocket<P extends Record<string, unknown>, E extends Record<PropertyKey, unknown>>(
  options: ServerOptions<P, Extra & Partial<E>>,
  wss: WebSocketServer,
  log: Logger,
): { dispose(): Promise<void> } {
  const server = makeServer(options);
  wss.options.handleProtocols = handleProtocols;
  wss.on('error', (error) => log.error({ err: error }, 'websocket server error'));
  wss.on('connection', (socket, request) => {
    // ws has already answered a protocol error (bad frame, message over maxPayload) by closing
    // the connection with the right code: a client's mistake, not ours.
    socket.on('error', (error) =>
      log.info({ reason: error.message, code: (error as { code?: string }).code }, 'websocket closed on a protocol error'),
    );
    let pongWait: NodeJS.Timeout | undefined;
    const ping = setInterval(() => {
      if (socket.readyState !== socket.OPEN) return;
      pongWait = setTimeout(() => socket.terminate(), KEEP_ALIVE_MS);
      socket.once('pong', () => clearTimeout(pongWait));
      socket.ping();
    }, KEEP_ALIVE_MS);
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) =>
          new Promise<void>((resolve, reject) => {
            if (socket.readyState !== socket.OPEN) return resolve();
            socket.send(data, (error) => (error ? reject(error) : resolve()));
          }),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on('message', (data) => {
            handle(text(data)).catch((error: unknown) => {
              log.error({ err: error }, 'websocket message handling failed');
              socket.close(CloseCode.InternalServerError, 'Internal server error');
            });
          }),
      },
      { socket, request } as Extra & Partial<E>,
    );
    socket.once('close', (code, reason) => {
      clearTimeout(pongWait);
      clearInterval(ping);
      void closed(code, String(reason));
    });
  });
  return {
    dispose: async () => {
      for (const client of wss.clients) client.close(1001, 'Going away');
      wss.removeAllListeners();
      await new Promise<void>((resolve, reject) => wss.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

function text(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(new Uint8Array(data)).toString('utf8');
}
