export * from './assembly';
export * from './stack-diff';
export * from './report';
