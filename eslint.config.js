// Lint rules that carry the project's design, not style: the consensus core stays pure
// (DESIGN.md §1) and nothing imports past its layer.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const ioModules = [
  "node:*", "fs", "fs/*", "net", "http", "https", "os", "child_process", "crypto", "timers", "timers/*",
  "level", "classic-level", "libp2p", "@libp2p/*", "@chainsafe/*", "ws", "pino", "json-rpc-2.0",
];

export default tseslint.config(
  { ignores: ["node_modules/**", "dist/**", "coverage/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { console: "readonly", process: "readonly", Buffer: "readonly", URL: "readonly", setTimeout: "readonly", clearTimeout: "readonly", setInterval: "readonly", clearInterval: "readonly", setImmediate: "readonly", AbortController: "readonly", AbortSignal: "readonly", TextEncoder: "readonly", TextDecoder: "readonly", performance: "readonly", structuredClone: "readonly", fetch: "readonly", queueMicrotask: "readonly" } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_" }],
      "@typescript-eslint/no-explicit-any": "error",
      "no-constant-condition": ["error", { checkLoops: false }],
    },
  },
  {
    // The dashboard's page runs in the browser (plain ES modules, no build step). Its globals are
    // named here rather than taken from the `globals` package, which is only a transitive dependency.
    files: ["src/dashboard/public/**/*.js"],
    languageOptions: { globals: { window: "readonly", document: "readonly", location: "readonly", WebSocket: "readonly", requestAnimationFrame: "readonly", ResizeObserver: "readonly", HTMLElement: "readonly" } },
  },
  {
    // The pure core: no IO, no clock, no ambient randomness, no timers.
    files: ["src/consensus/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", {
        patterns: [
          { group: ioModules, message: "src/consensus is pure (DESIGN.md §1): no IO imports." },
          { group: ["**/node/**", "**/p2p/**", "**/rpc/**", "**/sim/**", "**/testnet/**", "**/cli.js"], message: "consensus depends only on chain." },
          { group: ["**/store", "**/store/**"], message: "importing consensus must not load LevelDB: the stores come in through the driver's deps (DESIGN.md §2)." },
        ],
      }],
      "no-restricted-globals": ["error",
        { name: "setTimeout", message: "time arrives as tick inputs" },
        { name: "setInterval", message: "time arrives as tick inputs" },
        { name: "setImmediate", message: "time arrives as tick inputs" },
        { name: "process", message: "the core reads no environment" },
        { name: "performance", message: "the core reads no clock" },
        { name: "fetch", message: "the core does no IO" },
      ],
      "no-restricted-properties": ["error",
        { object: "Date", property: "now", message: "time arrives as tick inputs" },
        { object: "Math", property: "random", message: "use the injected seeded PRNG" },
      ],
      "no-restricted-syntax": ["error",
        { selector: "AwaitExpression", message: "step() is synchronous" },
        { selector: "FunctionDeclaration[async=true], ArrowFunctionExpression[async=true], FunctionExpression[async=true]", message: "step() is synchronous" },
        { selector: "NewExpression[callee.name='Date']", message: "time arrives as tick inputs" },
      ],
    },
  },
  {
    // chain is the bottom layer: it imports nothing else of ours.
    files: ["src/chain/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", {
        patterns: [
          { group: ["**/consensus/**", "**/node/**", "**/p2p/**", "**/rpc/**", "**/sim/**", "**/testnet/**", "**/cli.js"], message: "chain imports nothing of ours (DESIGN.md §2)." },
          { group: ["**/store", "**/store/**", "level", "classic-level"], message: "chain is pure: the LevelDB and memory stores live in src/store (DESIGN.md §2)." },
        ],
      }],
    },
  },
  {
    // The simulator runs the same driver and core as a node, over a virtual network and memory stores.
    files: ["src/sim/**/*.ts", "src/driver/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", {
        patterns: [
          { group: ["**/node/**", "**/p2p/**", "**/rpc/**", "**/testnet/**", "libp2p", "@libp2p/*", "level", "classic-level"], message: "sim and driver depend on consensus and chain only (DESIGN.md §2)." },
          { group: ["**/store/index.js", "**/store/level-*"], message: "sim and driver never load LevelDB: use the memory stores (store/memory.js)." },
        ],
      }],
    },
  },
  {
    // The behaviour catalogue is shared by the sim and the node: it must not lean on either.
    files: ["src/byzantine/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", {
        patterns: [
          { group: ["**/sim/**", "**/node/**", "**/p2p/**", "**/rpc/**", "**/testnet/**", "libp2p", "@libp2p/*", "level", "classic-level", "**/cli.js"], message: "byzantine depends on consensus, chain and driver types only (DESIGN.md §2): the sim and the node both import it." },
          { group: ["**/store/index.js", "**/store/level-*"], message: "byzantine never loads LevelDB." },
        ],
      }],
    },
  },
  {
    // The stores sit on chain only.
    files: ["src/store/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", {
        patterns: [{ group: ["**/consensus/**", "**/driver/**", "**/node/**", "**/p2p/**", "**/rpc/**", "**/sim/**", "**/testnet/**", "**/cli.js"], message: "store imports chain only (DESIGN.md §2)." }],
      }],
    },
  },
);
