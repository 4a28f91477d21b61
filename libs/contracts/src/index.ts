export * from './error-codes';
export * from './events';
export * from './models';
export * from './requests';
