import type { CodegenConfig } from "@graphql-codegen/cli";

// Typed operations from the server's exported schema: every `graphql(`...`)` in src/
// gets its result and variable types in src/gql/ (client preset).
const config: CodegenConfig = {
  schema: "../schema.graphql",
  documents: ["src/**/*.{ts,tsx}", "!src/gql/**/*"],
  ignoreNoDocuments: false,
  generates: {
    "src/gql/": {
      preset: "client",
      presetConfig: { fragmentMasking: false },
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: {
          DateTime: "string",
          Date: "string",
          Upload: "File",
          JSON: "unknown",
        },
      },
    },
  },
};

export default config;
