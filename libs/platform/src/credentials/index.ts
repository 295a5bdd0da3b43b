export * from './credential-token';
export * from './principal';
export * from './credential-record';
export * from './credential-set';
export * from './credentials.follower';
