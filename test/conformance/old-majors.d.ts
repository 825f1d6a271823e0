/**
 * The previous majors are installed under aliases (`express4`, `koa2`) without their own
 * type packages; the suite drives them through the current majors' types.
 */
declare module 'express4' {
  import express from 'express';
  export default express;
}

declare module 'koa2' {
  import Koa from 'koa';
  export default Koa;
}
