import { defineConfig } from '@playwright/test';
import base from './playwright.config';

// Refreshes docs/screenshots/ against the release build: `scripts/screenshots`.
export default defineConfig({
  ...base,
  testDir: './screenshots',
  projects: [{ name: 'screenshots', use: { javaScriptEnabled: true } }],
});
