// The consent rules in Firefox ESR (see rules.mjs; run through run.mjs).
import { firefox } from './lib/firefox.mjs';
import { defineRules } from './rules.mjs';

defineRules(firefox);
