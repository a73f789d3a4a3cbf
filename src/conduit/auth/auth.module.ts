import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../../config/app-config';
import { User } from '../users/user.entity';
import { AccessTokens } from './access-tokens';
import { AuthenticationGuard } from './authentication.guard';

/** Who is calling: access tokens, and the guard that turns `Authorization: Token <jwt>` into a user. */
@Module({
  imports: [
    TypeOrmModule.forFeature([User]),
    JwtModule.registerAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        secret: config.JWT_SECRET,
        signOptions: { algorithm: 'HS256', expiresIn: config.JWT_TTL_SECONDS },
        // One algorithm only: no `none`, no confusion with another key type.
        verifyOptions: { algorithms: ['HS256'] },
      }),
    }),
  ],
  providers: [AccessTokens, AuthenticationGuard],
  exports: [AccessTokens, AuthenticationGuard, TypeOrmModule],
})
export class AuthModule {}
