import { createSecretKey } from 'node:crypto';
import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { RootConfig } from '../config/configuration';
import { UsersModule } from '../users/users.module';
import { AuthRateLimitGuard } from './auth-rate-limit.guard';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { SessionEntity } from './entities/session.entity';
import { JwtStrategy } from './jwt.strategy';
import { PasswordHasher } from './password-hasher.service';
import { SessionService } from './session.service';
import { SessionsRepository } from './sessions.repository';
import { TokenService } from './token.service';

@Module({
  imports: [
    TypeOrmModule.forFeature([SessionEntity]),
    PassportModule,
    JwtModule.registerAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<RootConfig, true>) => {
        const secret = config.get('auth.jwtSecret', { infer: true });
        if (!secret) {
          throw new Error('JWT_SECRET is not set (src/main.ts generates one outside production)');
        }
        // A KeyObject, made once: given a string, jsonwebtoken first tries (and fails) to parse it as
        // a PEM public key on every verify, which was the costliest step of a connect.
        return {
          secret: createSecretKey(Buffer.from(secret, 'utf8')),
          signOptions: { algorithm: 'HS256' },
          verifyOptions: { algorithms: ['HS256'] },
        };
      },
    }),
    UsersModule,
  ],
  controllers: [AuthController],
  providers: [
    AuthService,
    SessionService,
    SessionsRepository,
    TokenService,
    PasswordHasher,
    JwtStrategy,
    AuthRateLimitGuard,
  ],
  exports: [TokenService, SessionService],
})
export class AuthModule {}
