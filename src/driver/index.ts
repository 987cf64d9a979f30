export * from "./driver.js";
export * from "./block-executor.js";
export * from "./syncer.js";
export * from "./transport.js";
