export { createChannelPair, type ChannelPair, type ChannelPairOptions } from './channel-pair.js';
