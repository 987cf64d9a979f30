export { DASHBOARD_PATH, serveDashboard } from "./static-files.js";
