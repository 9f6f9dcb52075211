// The demo's echo handler: answers every request with its own bytes.
import { serve } from '@umd/core/handler';

await serve((payload) => payload, { name: 'echo' });
