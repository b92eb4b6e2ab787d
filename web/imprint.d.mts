// Type declarations for dist/web/imprint.mjs, the ES-module browser build (as dist/web/imprint.d.mts).
// The same API as the classic script's, declared once in ./imprint.d.ts: one copy of every
// declaration even when a project uses both builds.
import type { ImprintBrowserApi } from './imprint.js';

export * from './imprint.js';

declare const api: ImprintBrowserApi;
export default api;
