// The consent rules in WebKitGTK, Safari's engine (see rules.mjs; run through run.mjs).
import { webkit } from './lib/webkit.mjs';
import { defineRules } from './rules.mjs';

defineRules(webkit);
