import { createSecretKey } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import type { AuthenticatedUser } from '../common/decorators/current-user.decorator';
import type { RootConfig } from '../config/configuration';
import { TokenService, type VerifiedClaims } from './token.service';

@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    config: ConfigService<RootConfig, true>,
    private readonly tokens: TokenService,
  ) {
    const auth = config.get('auth', { infer: true });
    // A KeyObject, made once, as the socket path's JwtService has (see AuthModule): given a string,
    // jsonwebtoken tries (and fails, throwing) to parse it as a PEM public key on every verify, which
    // was 15 % of the CPU of an authenticated HTTP request. passport-jwt hands it to jsonwebtoken as
    // is; its types only list strings and Buffers.
    const key = createSecretKey(Buffer.from(auth.jwtSecret ?? '', 'utf8'));
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKey: key as unknown as Buffer,
      algorithms: ['HS256'],
      issuer: auth.issuer,
      audience: auth.audience,
      ignoreExpiration: false,
    });
  }

  async validate(claims: VerifiedClaims): Promise<AuthenticatedUser> {
    return this.tokens.toUser(claims);
  }
}
