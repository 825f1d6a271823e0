// A CommonJS JavaScript consumer: require() of every package.
const express = require('express');
const Koa = require('koa');
const Fastify = require('fastify');
const { createGuard, TokenGuardError } = require('@tokenguard/core');
const { requireScopes, tokenGuard } = require('@tokenguard/express');
const koaAdapter = require('@tokenguard/koa');
const fastifyAdapter = require('@tokenguard/fastify');
const honoAdapter = require('@tokenguard/hono');
const { createRedisStore } = require('@tokenguard/redis');
const { createIdentityServer, startRedisServer } = require('@tokenguard/testing');
const { serve } = require('@hono/node-server');
const { Hono } = require('hono');
const { createClient } = require('redis');
// Nest 12 is ESM-only: require() of ES modules (Node >= 20.19) loads it here.
require('reflect-metadata');
const { Controller, Get, Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const nestAdapter = require('@tokenguard/nestjs');
