import { CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** `followerId` follows `followeeId`. */
@Entity('conduit_follow')
export class Follow {
  @PrimaryColumn({ name: 'follower_id', type: 'integer' })
  followerId: number;

  @PrimaryColumn({ name: 'followee_id', type: 'integer' })
  followeeId: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
