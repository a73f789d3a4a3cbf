import { Check, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { pointInTimeColumn } from '../../database/column-types';
import { User } from '../users/user.entity';

/** `followerId` follows `followeeId`. */
@Entity('conduit_follow')
@Index('conduit_follow_followee_idx', ['followeeId'])
@Check('conduit_follow_not_self', 'follower_id <> followee_id')
export class Follow {
  @PrimaryColumn({ name: 'follower_id', type: 'integer' })
  followerId: number;

  @PrimaryColumn({ name: 'followee_id', type: 'integer' })
  followeeId: number;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'follower_id', foreignKeyConstraintName: 'conduit_follow_follower_id_fkey' })
  follower: User;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'followee_id', foreignKeyConstraintName: 'conduit_follow_followee_id_fkey' })
  followee: User;

  @CreateDateColumn({ name: 'created_at', ...pointInTimeColumn() })
  createdAt: Date;
}
