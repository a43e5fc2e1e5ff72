// The tool's name and version, as package.json gives them (ncc inlines the JSON into each bundle).
import pkg from '../package.json' with { type: 'json' };

export const TOOL: { readonly name: string; readonly version: string } = { name: 'image-budget', version: pkg.version };
