// ESLint for the front end (static/src): the recommended rules, browser code as ES modules,
// and node globals for the `node --test` unit tests beside it.
import js from "@eslint/js";
import globals from "globals";

export default [
  { ignores: ["static/dist/**", "node_modules/**", ".venv/**"] },
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
      // textContent for anything a user typed (STYLE.md); server-rendered HTML says why inline.
      "no-restricted-properties": [
        "error",
        { property: "innerHTML", message: "Use textContent or h(); user text must never be parsed as HTML." },
        { property: "outerHTML", message: "Use textContent or h(); user text must never be parsed as HTML." },
      ],
    },
  },
  {
    files: ["static/src/**/*.test.js", "eslint.config.js"],
    languageOptions: { globals: { ...globals.node } },
  },
];
