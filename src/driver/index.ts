export * from "./driver.js";
export * from "./transport.js";
