// Chromium flags that keep a headless browser offline and quiet: no network
// of its own, no updates, no sync, no first-run pages. The code-server suite
// and the webview suite both start from these.
export const OFFLINE_CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
