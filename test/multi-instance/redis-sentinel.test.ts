/**
 * Many instances behind real Redis Sentinel (master, replica, three sentinels) over real
 * HTTP: four app processes (Express, Koa, Fastify, Express), a real identity service.
 */
import { sharedTierCases } from './support/shared-tier-cases.js';

sharedTierCases('sentinel');
