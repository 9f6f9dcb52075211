// The bench handler: a plain echo through @umd/core's serve().
import { serve } from '@umd/core/handler';

await serve((payload) => payload, { name: 'bench-echo' });
