// The bench handler: a plain echo through @umd/core's serve().
import { serve } from '@umd/core/handler';

// No top-level await, so buildBlob can emit CommonJS (faster to start than ESM on Node 20).
serve((payload) => payload, { name: 'bench-echo' });
