// The operator CLI's way to a running server (`--server URL`): what it does locally, through the
// public API instead of the data directory, so it is safe while a server holds the embedded
// database and works against a remote deployment. Imports go up as the GraphQL multipart upload
// (streamed from disk) and are followed by polling userImport; exports ask for a link and stream
// the download.
import { openAsBlob } from 'node:fs';
import { basename } from 'node:path';
import type { ImportMode, ImportRecord } from '../users/import/import.model.js';

/** What the CLI asks of userImport: the import record's own fields, as the API returns them. */
export type RemoteImport = Pick<
  ImportRecord,
  'id' | 'status' | 'filename' | 'dryRun' | 'totalRows' | 'processedRows' | 'created' | 'updated' | 'skipped' | 'failed' | 'errorCount' | 'lastCommittedRow' | 'failure'
>;

export interface RemoteRowError {
  row: number;
  email: string | null;
  field: string;
  code: string;
  message: string;
}

const IMPORT_FIELDS = 'id status filename dryRun totalRows processedRows created updated skipped failed errorCount lastCommittedRow failure { code message }';

export class ServerError extends Error {}

export class ServerClient {
  private constructor(
    private readonly endpoint: string,
    private readonly token: string,
  ) {}

  /** `server` is the service's base URL or its /graphql URL; logs in unless given a token. */
  static async connect(server: string, auth: { token?: string | undefined; email?: string | undefined; password?: string | undefined }): Promise<ServerClient> {
    const url = new URL(server);
    if (!url.pathname.endsWith('/graphql')) url.pathname = `${url.pathname.replace(/\/$/, '')}/graphql`;
    const endpoint = url.toString();
    if (auth.token) return new ServerClient(endpoint, auth.token);
    if (!auth.email || !auth.password) throw new ServerError('--server needs --token, or --email and --password to log in');
    const anonymous = new ServerClient(endpoint, '');
    const data = await anonymous.execute<{ login: { accessToken: string } }>('mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }', {
      e: auth.email,
      p: auth.password,
    });
    return new ServerClient(endpoint, data.login.accessToken);
  }

  async startImport(file: string, options: { mode: ImportMode; dryRun: boolean }): Promise<RemoteImport> {
    const form = new FormData();
    form.append(
      'operations',
      JSON.stringify({
        query: `mutation($file: Upload!, $options: ImportUsersOptions) { importUsers(file: $file, options: $options) { ${IMPORT_FIELDS} } }`,
        variables: { file: null, options: { mode: options.mode, dryRun: options.dryRun, wait: false } },
      }),
    );
    form.append('map', JSON.stringify({ 0: ['variables.file'] }));
    // openAsBlob streams the file from disk as the request body is sent.
    form.append('0', await openAsBlob(file, { type: 'text/csv' }), basename(file));
    const data = await this.send<{ importUsers: RemoteImport }>({ body: form, headers: { 'apollo-require-preflight': 'true' } });
    return data.importUsers;
  }

  async importStatus(id: string): Promise<RemoteImport> {
    const data = await this.execute<{ userImport: RemoteImport | null }>(`query($id: ID!) { userImport(id: $id) { ${IMPORT_FIELDS} } }`, { id });
    if (!data.userImport) throw new ServerError(`import ${id} not found on the server`);
    return data.userImport;
  }

  async rowErrors(id: string, first: number): Promise<RemoteRowError[]> {
    const data = await this.execute<{ userImport: { errors: RemoteRowError[] } }>(
      'query($id: ID!, $first: Int!) { userImport(id: $id) { errors(first: $first) { row email field code message } } }',
      { id, first },
    );
    return data.userImport.errors;
  }

  async cancelImport(id: string): Promise<void> {
    await this.execute('mutation($id: ID!) { cancelUserImport(id: $id) { id } }', { id });
  }

  /** Asks for an export link and returns the download response (a stream). */
  async exportDownload(options: { format: string; fields: string[] | null; bom: boolean }): Promise<Response> {
    const data = await this.execute<{ exportUsers: { url: string } }>(
      'mutation($format: ExportFormat!, $fields: [UserField!], $bom: Boolean) { exportUsers(format: $format, fields: $fields, bom: $bom) { url } }',
      options,
    );
    const response = await fetch(data.exportUsers.url);
    if (!response.ok || !response.body) throw new ServerError(`export download failed: HTTP ${response.status}`);
    return response;
  }

  private execute<T>(query: string, variables: Record<string, unknown>): Promise<T> {
    return this.send<T>({ body: JSON.stringify({ query, variables }), headers: { 'content-type': 'application/json' } });
  }

  private async send<T>(request: { body: string | FormData; headers: Record<string, string> }): Promise<T> {
    let response: Response;
    try {
      response = await fetch(this.endpoint, {
        method: 'POST',
        body: request.body,
        headers: { ...request.headers, ...(this.token ? { authorization: `Bearer ${this.token}` } : {}) },
      });
    } catch (error) {
      throw new ServerError(`cannot reach ${this.endpoint}: ${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message}`);
    }
    const body = (await response.json().catch(() => null)) as { data?: T; errors?: { message: string; extensions?: { code?: string } }[] } | null;
    if (!body) throw new ServerError(`${this.endpoint} answered HTTP ${response.status} without a GraphQL body`);
    if (body.errors?.length) throw new ServerError(body.errors.map((e) => `${e.extensions?.code ?? 'ERROR'}: ${e.message}`).join('; '));
    return body.data as T;
  }
}
