// Zod setup, imported once for its effect by every module that defines a schema: English messages,
// so a refusal names what is wrong. Schemas use the tree-shakable zod/mini API (`import * as z from
// 'zod/mini'`, members only); the classic API alone would be most of the bundle.
import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());
