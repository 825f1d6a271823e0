// An ES module JavaScript consumer: import of every package.

import { serve } from '@hono/node-server';
import { createGuard, TokenGuardError } from '@tokenguard/core';
import { requireScopes, tokenGuard } from '@tokenguard/express';
import * as fastifyAdapter from '@tokenguard/fastify';
import * as honoAdapter from '@tokenguard/hono';
import * as koaAdapter from '@tokenguard/koa';
import { createRedisStore } from '@tokenguard/redis';
import { createIdentityServer, startRedisServer } from '@tokenguard/testing';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import Koa from 'koa';
import { createClient } from 'redis';
import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import * as nestAdapter from '@tokenguard/nestjs';
