// A small typed GraphQL client over real HTTP (hive's testkit idea): execute() returns a result
// with expectData() / expectError(code) so tests read as what a client sees.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type DocumentNode } from 'graphql';
import { expect } from 'vitest';

export interface GraphQLErrorShape {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; status?: number; fields?: { field: string; message: string }[]; [k: string]: unknown };
}

export class GraphQLResult<TData> {
  constructor(
    readonly status: number,
    readonly body: { data?: TData | null; errors?: GraphQLErrorShape[] },
  ) {}

  /** The data; fails the test if there were any errors. */
  expectData(): TData {
    expect(this.body.errors, JSON.stringify(this.body.errors)).toBeUndefined();
    expect(this.body.data).toBeTruthy();
    return this.body.data as TData;
  }

  /** The first error; fails the test unless it has this code. */
  expectError(code: string): GraphQLErrorShape {
    const error = this.body.errors?.[0];
    expect(error?.extensions?.code, JSON.stringify(this.body)).toBe(code);
    return error!;
  }
}

export class GraphQLClient {
  constructor(
    readonly url: string,
    readonly token?: string,
  ) {}

  withToken(token: string | undefined): GraphQLClient {
    return new GraphQLClient(this.url, token);
  }

  async execute<TData = Record<string, unknown>, TVars = Record<string, unknown>>(
    document: TypedDocumentNode<TData, TVars> | DocumentNode | string,
    variables?: TVars,
  ): Promise<GraphQLResult<TData>> {
    const query = typeof document === 'string' ? document : print(document);
    const response = await fetch(this.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
      },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: TData; errors?: GraphQLErrorShape[] };
    return new GraphQLResult(response.status, body);
  }

  async login(email: string, password: string): Promise<{ accessToken: string; expiresAt: string; user: { id: string } }> {
    const result = await this.execute<{ login: { accessToken: string; expiresAt: string; user: { id: string } } }, Record<string, string>>(
      'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken expiresAt user { id } } }',
      { e: email, p: password },
    );
    return result.expectData().login;
  }
}
