// GraphQL Code Generator: types the operations under tests/operations against schema.graphql.
// `npm run codegen` rewrites tests/generated/graphql.ts (committed, checked by `npm run check`).
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: 'schema.graphql',
  documents: ['tests/operations/**/*.graphql'],
  generates: {
    'tests/generated/graphql.ts': {
      plugins: ['typescript-operations', 'typed-document-node'],
      config: {
        scalars: { DateTime: 'string', Upload: 'unknown' },
        enumsAsTypes: true,
        useTypeImports: true,
        avoidOptionals: { field: true, inputValue: false, object: false },
      },
    },
  },
};

export default config;
