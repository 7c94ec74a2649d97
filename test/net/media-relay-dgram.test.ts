// The media relay specs again, with the node:dgram relay that runs where the native addon is not
// built (TSPBX_NATIVE_RELAY=0 forces it; the workers inherit this process's environment).
process.env.TSPBX_NATIVE_RELAY = '0';
await import('./media-relay.test.js');
