// A REST client over real HTTP for /api tests. Every JSON answer it receives is checked against
// the server's own /api/openapi.json (ajv, JSON Schema 2020-12): the response schema of the
// operation the request matched, for the status it answered. So every call a test makes is
// also a check that the document tells the truth.
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { expect } from 'vitest';

export interface RestResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

type OpenApi = { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>> };

export class RestContract {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  /** method path-template status -> how many answers were checked. */
  readonly checked = new Map<string, number>();

  constructor(readonly document: OpenApi) {
    (addFormats as unknown as (ajv: Ajv2020) => void)(this.ajv);
    this.ajv.addSchema(document, 'openapi');
  }

  static async load(baseUrl: string): Promise<RestContract> {
    const response = await fetch(`${baseUrl}/api/openapi.json`);
    expect(response.status).toBe(200);
    return new RestContract((await response.json()) as OpenApi);
  }

  /** Fails the test when `body` is not what the document promises for this answer. */
  check(method: string, path: string, status: number, contentType: string | null, body: unknown): void {
    const template = this.templateOf(path);
    // A path the API does not have: its 404 is all there is to check (by the test itself).
    if (template === undefined && status === 404) return;
    expect(template, `no path of the document matches ${path}`).toBeDefined();
    const operation = this.document.paths[template!]?.[method.toLowerCase()];
    expect(operation, `the document has no ${method} ${template}`).toBeDefined();
    const response = operation!.responses[String(status)];
    expect(response, `${method} ${template} answered ${status}, which the document does not list`).toBeDefined();
    const key = `${method} ${template} ${status}`;
    this.checked.set(key, (this.checked.get(key) ?? 0) + 1);
    if (!contentType?.startsWith('application/json')) return;
    expect(response!.content?.['application/json'], `${key}: JSON answer, but no JSON schema documented`).toBeDefined();
    const pointer = ['paths', template!, method.toLowerCase(), 'responses', String(status), 'content', 'application/json', 'schema']
      .map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1'))
      .join('/');
    const valid = this.ajv.validate({ $ref: `openapi#/${pointer}` }, body);
    expect(valid, `${key}: ${this.ajv.errorsText(this.ajv.errors)} in ${JSON.stringify(body).slice(0, 500)}`).toBe(true);
  }

  private templateOf(path: string): string | undefined {
    const bare = path.split('?')[0]!;
    const candidates = Object.keys(this.document.paths).filter((t) => new RegExp(`^${t.replace(/\{\w+\}/g, '[^/]+')}$`).test(bare));
    // A literal segment (/api/users/stats) wins over a parameter (/api/users/{id}).
    return candidates.sort((a, b) => (a.match(/\{/g)?.length ?? 0) - (b.match(/\{/g)?.length ?? 0))[0];
  }
}

export class RestClient {
  constructor(
    readonly baseUrl: string,
    readonly contract: RestContract,
    readonly token?: string,
  ) {}

  withToken(token: string | undefined): RestClient {
    return new RestClient(this.baseUrl, this.contract, token);
  }

  async request<T = unknown>(method: string, path: string, options: { json?: unknown; body?: RequestInit['body']; headers?: Record<string, string> } = {}): Promise<RestResponse<T>> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        ...(options.json !== undefined ? { 'content-type': 'application/json' } : {}),
        ...options.headers,
      },
      body: options.json !== undefined ? JSON.stringify(options.json) : options.body,
    });
    const text = await response.text();
    const type = response.headers.get('content-type');
    const body = type?.startsWith('application/json') ? (JSON.parse(text) as T) : (text as T);
    this.contract.check(method, path, response.status, type, body);
    return { status: response.status, headers: response.headers, body, text };
  }

  get<T = unknown>(path: string, headers?: Record<string, string>): Promise<RestResponse<T>> {
    return this.request<T>('GET', path, { headers: headers ?? {} });
  }

  post<T = unknown>(path: string, json?: unknown): Promise<RestResponse<T>> {
    return this.request<T>('POST', path, json === undefined ? {} : { json });
  }
}

/** The error body of the REST API. */
export interface RestError {
  code: string;
  message: string;
  details: { path: string; message: string }[];
  meta?: Record<string, unknown>;
}
