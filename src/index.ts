// Entry point of the action (runs.main): all the work is in main.ts.
import { run } from './main.js';

void run();
