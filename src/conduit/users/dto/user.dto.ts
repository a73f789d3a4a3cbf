import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsDefined, IsEmail, IsObject, IsOptional, IsString, Length, Matches, MaxLength, ValidateIf, ValidateNested } from 'class-validator';

/** Usernames go into URLs (/profiles/:username): letters, digits, `_` and `-` only. */
export const USERNAME = /^[A-Za-z0-9_-]{1,40}$/;
export const USERNAME_RULE = 'username must be 1 to 40 letters, digits, _ or -';
const EMAIL_MAX = 254;
const PASSWORD_MIN = 8;
const PASSWORD_MAX = 200;
const BIO_MAX = 10_000;
const IMAGE_MAX = 2048;

const lowerCased = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toLowerCase() : value);
/** Present (even as null) means "change it": null is then refused, not silently ignored. */
const isPresent = (field: string) => ValidateIf((object: Record<string, unknown>) => object[field] !== undefined);

export class NewUser {
  @ApiProperty({ pattern: USERNAME.source })
  @IsString()
  @Matches(USERNAME, { message: USERNAME_RULE })
  username: string;

  @ApiProperty({ maxLength: EMAIL_MAX })
  @Transform(lowerCased)
  @IsEmail()
  @MaxLength(EMAIL_MAX)
  email: string;

  @ApiProperty({ format: 'password', minLength: PASSWORD_MIN, maxLength: PASSWORD_MAX })
  @IsString()
  @Length(PASSWORD_MIN, PASSWORD_MAX)
  password: string;
}

export class LoginUser {
  @ApiProperty()
  @Transform(lowerCased)
  @IsEmail()
  @MaxLength(EMAIL_MAX)
  email: string;

  // No minimum: a wrong password is a 401, not a hint about the rules.
  @ApiProperty({ format: 'password' })
  @IsString()
  @Length(1, PASSWORD_MAX)
  password: string;
}

export class UpdateUser {
  @ApiPropertyOptional()
  @isPresent('email')
  @Transform(lowerCased)
  @IsEmail()
  @MaxLength(EMAIL_MAX)
  email?: string;

  @ApiPropertyOptional({ pattern: USERNAME.source })
  @isPresent('username')
  @IsString()
  @Matches(USERNAME, { message: USERNAME_RULE })
  username?: string;

  @ApiPropertyOptional({ format: 'password', minLength: PASSWORD_MIN, maxLength: PASSWORD_MAX })
  @isPresent('password')
  @IsString()
  @Length(PASSWORD_MIN, PASSWORD_MAX)
  password?: string;

  @ApiPropertyOptional({ maxLength: BIO_MAX, nullable: true, description: 'null clears it' })
  @IsOptional()
  @IsString()
  @MaxLength(BIO_MAX)
  bio?: string | null;

  @ApiPropertyOptional({ maxLength: IMAGE_MAX, nullable: true, description: 'an image URL; null clears it' })
  @IsOptional()
  @IsString()
  @MaxLength(IMAGE_MAX)
  image?: string | null;
}

export class NewUserRequest {
  @ApiProperty({ type: NewUser })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => NewUser)
  user: NewUser;
}

export class LoginUserRequest {
  @ApiProperty({ type: LoginUser })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => LoginUser)
  user: LoginUser;
}

export class UpdateUserRequest {
  @ApiProperty({ type: UpdateUser })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => UpdateUser)
  user: UpdateUser;
}

export class UserView {
  @ApiProperty() email: string;
  @ApiProperty({ description: 'A fresh access token: send it as Authorization: Token <token>.' }) token: string;
  @ApiProperty() username: string;
  @ApiProperty() bio: string;
  @ApiProperty() image: string;
}

export class UserResponse {
  @ApiProperty({ type: UserView }) user: UserView;
}
