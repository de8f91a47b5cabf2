// ESLint for the front end (static/src): the recommended rules, browser code as ES modules,
// and node globals for the `node --test` unit tests beside it.
import js from "@eslint/js";
import globals from "globals";

export default [
  { ignores: ["static/dist/**", "node_modules/**"] },
  js.configs.recommended,
  {
    files: ["static/src/**/*.js"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "module",
      globals: { ...globals.browser },
    },
    rules: {
      "no-unused-vars": ["error", { args: "after-used", argsIgnorePattern: "^_", caughtErrors: "none" }],
      eqeqeq: ["error", "always", { null: "ignore" }],
      "no-var": "error",
      "prefer-const": "error",
    },
  },
  {
    files: ["static/src/**/*.test.js", "eslint.config.js"],
    languageOptions: { globals: { ...globals.node } },
  },
];
