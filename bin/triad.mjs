#!/usr/bin/env node
// Runs the TypeScript sources directly: no build step between a clone and a running node.
import { register } from "tsx/esm/api";

register();
await import("../src/polyfill.ts");
await import("../src/cli.ts");
