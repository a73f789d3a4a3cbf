import { ApiProperty } from '@nestjs/swagger';

/** What every viewer sees of a user alike: the part that may be cached. */
export interface PublicProfile {
  id: number;
  username: string;
  bio: string;
  image: string;
}

export class ProfileView {
  @ApiProperty() username: string;
  @ApiProperty() bio: string;
  @ApiProperty() image: string;
  @ApiProperty({ description: 'Whether the signed-in user follows them (false for anonymous viewers).' }) following: boolean;
}

export class ProfileResponse {
  @ApiProperty({ type: ProfileView }) profile: ProfileView;
}

export const viewOf = (profile: PublicProfile, following: boolean): ProfileView => ({
  username: profile.username,
  bio: profile.bio,
  image: profile.image,
  following,
});
